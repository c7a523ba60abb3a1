// The layering rules of issue #19, read from the source: no import cycle anywhere in src/, and nothing under
// src/providers imports the controller, the service layer or the model store (a provider is told what it needs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/ beside dist/ (this file runs as dist/import-rules.test.js) */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** `import ... from`, `export ... from`, side-effect `import '...'` and `import('...')`, type-only ones included */
const IMPORT = /^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every relative import of every .ts file under `root` (tests left out), as paths relative to `root`. */
function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.test.ts')) graph.set(relative(root, p), importsOf(root, p));
    }
  };
  walk(root);
  return graph;
}

function importsOf(root: string, file: string): string[] {
  const out = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) out.add(relative(root, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return [...out];
}

/** The import cycles of a graph: its strongly connected components of more than one file, or a file importing itself (Tarjan). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

test('the cycle finder finds a cycle through several files and a file importing itself, and none in a tree', () => {
  const g = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts', 'd.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', []],
    ['e.ts', ['e.ts']],
  ]);
  assert.deepEqual(importCycles(g), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  assert.deepEqual(
    importCycles(
      new Map([
        ['a.ts', ['b.ts', 'c.ts']],
        ['b.ts', ['c.ts']],
        ['c.ts', ['lib.ts']],
      ]),
    ),
    [],
  );
});

test('the import parser sees static, re-exported, type-only and dynamic imports', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from './c.js';",
    "export * from './d.js';",
    'import {',
    '  e,',
    '  type E,',
    "} from './e.js';",
    "const f = await import('./f.js');",
    "import './g.js';",
    "import { z } from 'zod';",
  ].join('\n');
  const specs = [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
  assert.deepEqual(specs, ['./a.js', '../b/b.js', './c.js', './d.js', './e.js', './f.js', './g.js', 'zod']);
});

test('src/ has no import cycle (type-only imports included)', () => {
  assert.ok(existsSync(SRC), `the source tree is not at ${SRC}`);
  const graph = importGraph(SRC);
  assert.ok(graph.size > 100, `only ${graph.size} files read from ${SRC}`);
  assert.deepEqual(importCycles(graph), []);
});

test('nothing under src/providers imports the controller, the service layer or the model store', () => {
  const graph = importGraph(SRC);
  const forbidden = ['controller', 'service', 'models'].map((d) => d + sep);
  const bad = [...graph]
    .filter(([file]) => file.startsWith(`providers${sep}`))
    .flatMap(([file, deps]) => deps.filter((d) => forbidden.some((f) => d.startsWith(f))).map((d) => `${file} -> ${d}`));
  assert.deepEqual(bad, []);
});
