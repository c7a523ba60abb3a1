import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedWithin, limitScaleUp, recordScaleEvent } from './rate-limit.js';

describe('scale-up rate limit', () => {
  it('allows at most N additions per rolling minute', () => {
    let events = recordScaleEvent([], 0, 3, 60_000);
    assert.equal(changedWithin(events, 30_000, 60_000), 3);
    assert.deepEqual(limitScaleUp(3, 10, events, 30_000, 4), { desired: 4, limited: true, allowance: 1 });
    events = recordScaleEvent(events, 30_000, 1, 60_000);
    assert.deepEqual(limitScaleUp(4, 10, events, 59_000, 4), { desired: 4, limited: true, allowance: 0 });
    // the first event leaves the window after a minute
    assert.deepEqual(limitScaleUp(4, 10, events, 60_000, 4), { desired: 7, limited: true, allowance: 3 });
    assert.deepEqual(limitScaleUp(4, 2, events, 60_000, 4).limited, false, 'scale-down passes');
    assert.equal(recordScaleEvent(events, 200_000, 0, 60_000).length, 0, 'old events are forgotten');
  });
});
