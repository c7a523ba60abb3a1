import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sample } from '../testkit.js';
import { lastActivityAt, scaleToZeroGate } from './scale-to-zero.js';

describe('idle-gated scale to zero', () => {
  const s = [sample(1000, 1, 0, 1), sample(2000, 0.4, 0, 0), sample(3000, 0, 0, 0), sample(4000, 0, 0, 0)];
  it('idle counts from the last activity, including a stream finishing', () => {
    assert.equal(lastActivityAt(s, 4000, 0), 2000);
    assert.equal(lastActivityAt(s, 4000, 3500), 3500, 'never goes back before the remembered time');
    assert.equal(lastActivityAt(s, 4000, 0, 2), 4000, 'held requests are activity now');
    assert.equal(lastActivityAt([sample(1000, 0, 3, 0)], 1000, 0), 1000, 'queued is activity');
  });
  it('opens only at min 0, with nothing held or starting, after the idle period', () => {
    const base = { now: 400_000, idleSince: 100_000, idleAfterMs: 300_000, minReplicas: 0, starting: 0, heldAtZero: 0 };
    assert.equal(scaleToZeroGate(base).allowed, true);
    assert.equal(scaleToZeroGate({ ...base, now: 399_999 }).allowed, false);
    assert.equal(scaleToZeroGate({ ...base, minReplicas: 1 }).allowed, false);
    assert.equal(scaleToZeroGate({ ...base, heldAtZero: 1 }).allowed, false);
    const starting = scaleToZeroGate({ ...base, starting: 1 });
    assert.equal(starting.allowed, false);
    assert.match(starting.reason, /starting/);
  });
});
