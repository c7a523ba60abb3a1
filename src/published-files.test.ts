import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { posix } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * What only tests use: test files, their helpers and fakes, the fault suite, and the README screenshot
 * script (a dev tool on playwright, a dev dependency). None of it may be published.
 */
const TEST_ONLY = [
  /\.test\.js(\.map)?$/,
  /(^|\/)testkit\.js(\.map)?$/,
  /^dist\/test\//,
  /^dist\/faults\//,
  /^dist\/providers\/contract\//,
  /\/fake\//,
  /^dist\/engines\/sim\/sim-harness\.js/,
  /^dist\/models\/test-origin\.js/,
  /^dist\/dashboard\/readme-screenshot\.js/,
];

/** The files `npm pack` would put in the package (the build's dist/ as it is now; no lifecycle scripts run). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
}

/** The relative modules a JavaScript file imports (static and literal dynamic imports, and `new URL('x.js', import.meta.url)`). */
function relativeImports(file: string, text: string): string[] {
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)|^import\s*['"](\.[^'"]+)['"]|new URL\(\s*['"](\.[^'"]+\.js)['"]\s*,\s*import\.meta\.url/gm;
  return [...text.matchAll(re)].map((m) => posix.normalize(posix.join(posix.dirname(file), m[1] ?? m[2] ?? m[3] ?? m[4])));
}

test('the published package holds no test file or test helper, and every module it ships imports only modules it ships', () => {
  const files = packedFiles();
  assert.ok(files.includes('dist/cli/main.js'), `the build is packed (run "npm run build" first); got ${files.length} files`);
  assert.ok(files.includes('bin/inferscale.js'));
  const leaked = files.filter((f) => TEST_ONLY.some((re) => re.test(f)));
  assert.deepEqual(leaked, [], 'test files or helpers would be published: exclude them in package.json "files"');
  const shipped = new Set(files);
  const missing = files
    .filter((f) => f.endsWith('.js'))
    .flatMap((f) =>
      relativeImports(f, readFileSync(posix.join(ROOT, f), 'utf8'))
        .filter((dep) => !shipped.has(dep))
        .map((dep) => `${f} -> ${dep}`),
    );
  assert.deepEqual(missing, [], 'published modules import files that are not published (a helper excluded but used by the product?)');
});
