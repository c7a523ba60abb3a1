#!/usr/bin/env node
// Runs every compiled test file (dist/**/*.test.js) with node's test runner.
// --unit skips the integration suites (files under dist/test/ and *.it.test.js).
// --faults runs the fault suite instead (docs/reliability.md): the *.fault.test.js files, which the other
// runs leave out, and the tests of the other fault promises, by reference.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const faults = process.argv.includes('--faults');
/** fault promises whose tests live beside their code (docs/reliability.md, "The fault suite") */
const FAULT_REFERENCES = [
  'dist/server/disk-full.it.test.js', // disk full (injected SQLITE_FULL): keeps serving, recovers
  'dist/gateway/gateway.test.js', // a replica that hangs with a healthy /health: requests time out and go elsewhere
  'dist/server/key-rotation.it.test.js', // key rotation under steady load: 0 refused
  'dist/controller/reconciler-adopt.test.js', // a stored pid now an unrelated process: never signalled
];
const filter = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
})('dist');
let selected = files.sort();
if (faults) selected = selected.filter((f) => f.endsWith('.fault.test.js') || FAULT_REFERENCES.includes(f));
else selected = selected.filter((f) => !f.endsWith('.fault.test.js'));
if (unitOnly) selected = selected.filter((f) => !f.endsWith('.it.test.js'));
if (filter.length) selected = selected.filter((f) => filter.some((x) => f.includes(x)));
if (!selected.length) {
  console.error('no test files found under dist/: run "npm run build" first');
  process.exit(1);
}
// a hung test fails after 3 minutes instead of eating CI's budget
const args = ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=180000', '--test-force-exit', ...selected];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, INFERSCALE_TEST: '1' } });
process.exit(r.status ?? 1);
