import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertCapacity, describeCapacity, mergeCapacity, splitReplicas, DEFAULT_CAPACITY } from './capacity.js';

const ctx = { zone: 'k', zoneHasSpot: true, maxReplicas: null, replicas: 3 };

test('split: mixed keeps the floor on on-demand and the rest on spot; what spot lacks past the bound falls back', () => {
  const mixed = { capacity: 'mixed' as const, onDemandFloor: 1 };
  assert.deepEqual(splitReplicas(mixed, 3), { onDemand: 1, spot: 2 });
  assert.deepEqual(splitReplicas(mixed, 3, 1), { onDemand: 2, spot: 1 });
  assert.deepEqual(splitReplicas(mixed, 3, 9), { onDemand: 3, spot: 0 });
  assert.deepEqual(splitReplicas(mixed, 0), { onDemand: 0, spot: 0 });
  assert.deepEqual(splitReplicas({ capacity: 'spot', onDemandFloor: 0 }, 4, 2), { onDemand: 0, spot: 4 });
  assert.deepEqual(splitReplicas(DEFAULT_CAPACITY, 4), { onDemand: 4, spot: 0 });
});

test('refusals carry a field and a stable reason', () => {
  const reason = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return [(e as { code: string }).code, (e as { details: { reason: string } }).details.reason];
    }
    return null;
  };
  assert.deepEqual(
    reason(() => assertCapacity({ capacity: 'mixed', onDemandFloor: 4 }, ctx)),
    ['invalid_argument', 'floor_above_replicas'],
  );
  assert.deepEqual(
    reason(() => assertCapacity({ capacity: 'mixed', onDemandFloor: 4 }, { ...ctx, maxReplicas: 3 })),
    ['invalid_argument', 'floor_above_max'],
  );
  assert.equal(
    reason(() => assertCapacity({ capacity: 'mixed', onDemandFloor: 4 }, { ...ctx, maxReplicas: 4, replicas: 1 })),
    null,
  );
  assert.deepEqual(
    reason(() => assertCapacity({ capacity: 'spot', onDemandFloor: 0 }, { ...ctx, zoneHasSpot: false })),
    ['unsupported', 'no_spot_nodes'],
  );
  assert.deepEqual(
    reason(() => assertCapacity({ capacity: 'on-demand', onDemandFloor: 1 }, ctx)),
    ['invalid_argument', 'floor_without_mixed'],
  );
  assert.equal(
    reason(() => assertCapacity({ capacity: 'on-demand', onDemandFloor: 0 }, { ...ctx, zoneHasSpot: false })),
    null,
  );
});

test('merge: a floor alone keeps the type; leaving mixed drops the floor', () => {
  const mixed = { capacity: 'mixed' as const, onDemandFloor: 2 };
  assert.deepEqual(mergeCapacity(mixed, { onDemandFloor: 1 }), { capacity: 'mixed', onDemandFloor: 1 });
  assert.deepEqual(mergeCapacity(mixed, { capacity: 'spot' }), { capacity: 'spot', onDemandFloor: 0 });
  assert.deepEqual(mergeCapacity(mixed, {}), mixed);
  assert.equal(describeCapacity(mixed), 'mixed (on-demand floor 2)');
});
