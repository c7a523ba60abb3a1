import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linesSince } from './log-window.js';

const t0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

test('linesSince: dated lines by their time, continuation lines by the line before, leading ones by the replica start', () => {
  const lines = [`${iso(t0)} starting`, 'continued', `${iso(t0 + 600_000)} ready`, '  stack frame', `[${iso(t0 + 900_000)}] tick`];
  assert.deepEqual(linesSince(lines, t0, t0 + 300_000), [`${iso(t0 + 600_000)} ready`, '  stack frame', `[${iso(t0 + 900_000)}] tick`]);
  assert.deepEqual(linesSince(lines, t0, t0), lines, 'cutoff at the start: all');
  assert.deepEqual(linesSince(lines, t0, t0 + 3_600_000), [], 'cutoff after the last line: none');
  assert.deepEqual(linesSince(['no', 'stamps'], t0, t0 - 1), ['no', 'stamps'], 'undated lines of a replica started in the window');
  assert.deepEqual(linesSince(['no', 'stamps'], t0, t0 + 1), [], 'undated lines of a replica started before it');
  assert.deepEqual(linesSince(['2025-01-06 12:20:00 space-separated'], t0, t0 + 1_000_000), ['2025-01-06 12:20:00 space-separated']);
});
