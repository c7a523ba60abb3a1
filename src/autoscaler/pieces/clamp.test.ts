import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capToPlaceable, ceilReplicas, clampReplicas } from './clamp.js';
import { withDefaults } from './defaults.js';

describe('clamp', () => {
  it('clamps to bounds as whole replicas', () => {
    assert.equal(clampReplicas(7, 1, 5), 5);
    assert.equal(clampReplicas(0, 1, 5), 1);
    assert.equal(clampReplicas(2.1, 0, 5), 3);
    assert.equal(clampReplicas(NaN, 2, 5), 2);
  });
  it('ceil forgives floating-point noise', () => {
    assert.equal(ceilReplicas((0.1 + 0.2) / 0.3), 1);
    assert.equal(ceilReplicas(2.0000000001), 2);
    assert.equal(ceilReplicas(2.01), 3);
    assert.equal(ceilReplicas(0), 0);
    assert.equal(ceilReplicas(-3), 0);
  });
  it('caps at placeable replicas and says so', () => {
    assert.deepEqual(capToPlaceable(6, 4), { desired: 4, capped: true });
    assert.deepEqual(capToPlaceable(3, 4), { desired: 3, capped: false });
    assert.deepEqual(capToPlaceable(3, undefined), { desired: 3, capped: false });
  });
  it('withDefaults keeps defaults for undefined options', () => {
    assert.deepEqual(withDefaults({ a: 1, b: 2 }, { a: undefined, b: 3 }), { a: 1, b: 3 });
  });
});
