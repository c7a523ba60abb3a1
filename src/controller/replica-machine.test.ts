import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaRow } from '../store/store.js';
import { backoffMs, crashBackoff, decideDraining, decideReady, decideStarting, HEALTH_FAILURES, sleepAllowed, sleeperMustStop } from './replica-machine.js';

const row = (o: Partial<ReplicaRow> = {}): ReplicaRow => ({
  id: 'r1',
  deploymentId: 'd1',
  state: 'starting',
  stateReason: '',
  gpus: [],
  pid: null,
  port: 1,
  generation: 1,
  createdAt: 0,
  startedAt: 1000,
  readyAt: null,
  stoppedAt: null,
  coldStartMs: null,
  exitInfo: '',
  ...o,
});

test('starting: ready with its cold start; gone fails at once; the startup timeout counts from capacity, never while waiting for it', () => {
  const f = { waitingForCapacity: false, startupTimeoutMs: 60_000 };
  assert.deepEqual(decideStarting(row(), { ...f, probe: 'ready' }, 5200), { kind: 'ready', coldStartMs: 4200 });
  assert.deepEqual(decideStarting(row(), { ...f, probe: 'gone' }, 2000), { kind: 'fail', why: 'process exited while starting', stopFirst: false });
  assert.deepEqual(decideStarting(row(), { ...f, probe: 'starting' }, 61_000), { kind: 'wait' }, 'exactly at the timeout: not yet');
  assert.deepEqual(decideStarting(row(), { ...f, probe: 'starting' }, 61_001), { kind: 'fail', why: 'not healthy after 60 s', stopFirst: true });
  assert.deepEqual(decideStarting(row(), { ...f, probe: 'starting', waitingForCapacity: true }, 10 * 60_000), { kind: 'wait' });
  assert.deepEqual(decideStarting(row(), { ...f, probe: 'starting', capacityAt: 500_000 }, 540_000), { kind: 'wait' }, 'capacity came 40 s ago');
});

test('ready: healthy readmits; gone or HEALTH_FAILURES failed checks in a row fail it; no probe this pass decides nothing', () => {
  assert.deepEqual(decideReady({ failures: 0 }), { kind: 'wait' });
  assert.deepEqual(decideReady({ probe: 'ready', failures: 0 }), { kind: 'healthy' });
  assert.deepEqual(decideReady({ probe: 'starting', failures: HEALTH_FAILURES - 1 }), { kind: 'wait' });
  assert.deepEqual(decideReady({ probe: 'starting', failures: HEALTH_FAILURES }), {
    kind: 'fail',
    why: `health check failed ${HEALTH_FAILURES} times`,
    stopFirst: true,
  });
  assert.deepEqual(decideReady({ probe: 'gone', failures: 1 }), { kind: 'fail', why: 'process exited', stopFirst: true });
});

test("draining: waits while requests are in flight until the deadline counted from the row's drain start", () => {
  const r = row({ state: 'draining', drainStartedAt: 10_000 });
  assert.equal(decideDraining(r, { inflight: 0, drainTimeoutMs: 5000 }, 10_000).kind, 'stop');
  assert.deepEqual(decideDraining(r, { inflight: 0, drainTimeoutMs: 5000 }, 10_000), { kind: 'stop', reason: 'drained', event: ' after draining' });
  assert.deepEqual(decideDraining(r, { inflight: 2, drainTimeoutMs: 5000 }, 14_999), { kind: 'wait' });
  assert.deepEqual(decideDraining(r, { inflight: 2, drainTimeoutMs: 5000 }, 15_000), {
    kind: 'stop',
    reason: 'drain timeout with 2 in flight',
    event: ' after drain timeout (2 in flight)',
  });
});

test('crash backoff from the rows: the newest failure counts until a replica turns ready after it', () => {
  assert.equal(crashBackoff([row({ state: 'ready', readyAt: 5 })]), undefined);
  const f1 = row({ id: 'a', state: 'failed', stoppedAt: 100, failureStreak: 1, retryAt: 600 });
  const f2 = row({ id: 'b', state: 'failed', stoppedAt: 700, failureStreak: 2, retryAt: 1700 });
  assert.deepEqual(crashBackoff([f1]), { failures: 1, until: 600 });
  assert.deepEqual(crashBackoff([f2, f1]), { failures: 2, until: 1700 }, 'the newest failure, whatever the row order');
  assert.equal(crashBackoff([f1, f2, row({ id: 'c', state: 'ready', readyAt: 800 })]), undefined, 'a replica ready since ended the streak');
  assert.deepEqual(crashBackoff([f1, f2, row({ id: 'c', state: 'ready', readyAt: 50 })]), { failures: 2, until: 1700 });
  assert.deepEqual([1, 2, 3, 8, 20].map(backoffMs), [500, 1000, 2000, 60_000, 60_000]);
});

test('draining with sleep allowed: a drained replica that served sleeps; one cut at its deadline or never ready stops', () => {
  const maySleep = sleepAllowed({ idle: 'sleep', deleting: false, current: true, providerSleeps: true, engineSleeps: true, engine: 'sim' });
  assert.match(maySleep!, /idle by sleep/);
  const drained = row({ state: 'draining', readyAt: 500, drainStartedAt: 1000 });
  assert.equal(decideDraining(drained, { inflight: 0, drainTimeoutMs: 5000, maySleep }, 1500).kind, 'sleep');
  assert.equal(decideDraining(drained, { inflight: 2, drainTimeoutMs: 5000, maySleep }, 7000).kind, 'stop', 'cut at its deadline: stops');
  assert.equal(decideDraining(row({ state: 'draining', readyAt: null }), { inflight: 0, drainTimeoutMs: 5000, maySleep }, 1500).kind, 'stop');
  assert.equal(decideDraining(drained, { inflight: 0, drainTimeoutMs: 5000 }, 1500).kind, 'stop', 'no reason to sleep: stops');
  const base = { idle: 'sleep' as const, deleting: false, current: true, providerSleeps: true, engineSleeps: true, engine: 'sglang' };
  for (const no of [{ idle: 'stop' as const }, { deleting: true }, { current: false }, { providerSleeps: false }, { engineSleeps: false }]) {
    assert.equal(sleepAllowed({ ...base, ...no }), undefined, JSON.stringify(no));
  }
});

test('a sleeper stops when its deployment is deleted, rolled to a new generation or no longer idles by sleep', () => {
  assert.equal(sleeperMustStop({ idle: 'sleep', deleting: false, current: true }), undefined);
  assert.equal(sleeperMustStop({ idle: 'sleep', deleting: true, current: true }), 'deployment deleted');
  assert.match(sleeperMustStop({ idle: 'sleep', deleting: false, current: false })!, /engine parameters changed/);
  assert.match(sleeperMustStop({ idle: undefined, deleting: false, current: true })!, /no longer idles by sleep/);
});
