import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withCliIo } from './io.js';
import { ProgressWriter, readyProgress } from './progress.js';

test('readyProgress: ready out of desired, elapsed, ETA from the rate so far', () => {
  assert.equal(readyProgress({ at: 0, ready: 0 }, { at: 0, ready: 0 }, 3), '0/3 ready, 0s');
  assert.equal(readyProgress({ at: 0, ready: 0 }, { at: 20_000, ready: 1 }, 3), '1/3 ready, 20s, ETA 40s');
  assert.equal(readyProgress({ at: 0, ready: 1 }, { at: 90_000, ready: 3 }, 3), '3/3 ready, 1m30s', 'no ETA once there');
});

function run(tty: boolean, fn: (p: ProgressWriter, clock: { t: number }) => void): string {
  let err = '';
  const clock = { t: 0 };
  withCliIo({ stdout: { write: () => undefined }, stderr: { write: (s: string) => (err += s), isTTY: tty }, env: {} }, () =>
    fn(new ProgressWriter({ plainEveryMs: 5_000, now: () => clock.t }), clock),
  );
  return err;
}

test('ProgressWriter: one rewritten line on a TTY, plain lines (changed, at most every plainEveryMs) otherwise', () => {
  const steps = (p: ProgressWriter, clock: { t: number }) => {
    p.update('m: 10 B, ETA 9s');
    clock.t = 1_000;
    p.update('m: 2 B');
    clock.t = 6_000;
    p.update('m: 2 B');
    clock.t = 12_000;
    p.update('m: 30 B');
    p.done('m: ready');
  };
  assert.equal(run(true, steps), `\rm: 10 B, ETA 9s\rm: 2 B${' '.repeat(9)}\rm: 2 B\rm: 30 B\nm: ready\n`);
  assert.equal(run(false, steps), 'm: 10 B, ETA 9s\nm: 2 B\nm: 30 B\nm: ready\n');
});
