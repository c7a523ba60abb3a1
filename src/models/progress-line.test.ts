import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressLine } from './progress-line.js';

test('progress: bytes of the total, the rate since the first sample, and the time left', () => {
  const MiB = 2 ** 20;
  assert.equal(progressLine({ at: 0, done: 0 }, { at: 0, done: 0 }, 100 * MiB), '0 B of 100.0 MiB (0.0%)', 'no rate before time has passed');
  assert.equal(progressLine({ at: 0, done: 0 }, { at: 10_000, done: 40 * MiB }, 100 * MiB), '40.0 MiB of 100.0 MiB (40.0%), 4.00 MiB/s, ETA 15s');
  assert.equal(
    progressLine({ at: 0, done: 10 * MiB }, { at: 60_000, done: 16 * MiB }, 1024 * MiB),
    '16.0 MiB of 1.00 GiB (1.6%), 102.4 KiB/s, ETA 2h48m',
    'a resumed download: the rate counts this run only',
  );
  assert.equal(progressLine({ at: 0, done: 0 }, { at: 2_000, done: 3 * MiB }, null), '3.00 MiB, 1.50 MiB/s', 'size unknown: no ETA');
});
