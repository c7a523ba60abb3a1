import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capDecision, MAX_REPLICAS } from './limits.js';
import type { InferscaleError } from '../core/errors.js';
import { parseInput, scaleSchema } from './validation.js';
import { buildAutoscaleSpec } from '../autoscaler/spec.js';

const bounds = { min: 0, max: 1000, placeable: 1000, placeableWhy: 'quota' };

test('a decision within every bound stands as asked, 64 and above included', () => {
  assert.deepEqual(capDecision(65, 10, bounds), { replicas: 65, note: null });
  assert.deepEqual(capDecision(MAX_REPLICAS, 10, bounds), { replicas: MAX_REPLICAS, note: null });
  assert.deepEqual(capDecision(0, 3, bounds), { replicas: 0, note: null });
});

test('a decision outside the spec is brought into [min, max], saying so', () => {
  assert.deepEqual(capDecision(12, 2, { ...bounds, max: 8 }), { replicas: 8, note: 'capped at 8: the autoscale maximum' });
  assert.deepEqual(capDecision(0, 2, { ...bounds, min: 1 }), { replicas: 1, note: 'raised to 1: the autoscale minimum' });
  assert.deepEqual(capDecision(2_000, 2, { ...bounds, max: 5_000 }).replicas, MAX_REPLICAS);
  assert.deepEqual(capDecision(Number.NaN, 3, bounds).replicas, 3, 'not a number: no change');
});

test('a scale-up stops at what quota and GPUs place, never below the current count', () => {
  const quota = { ...bounds, placeable: 6, placeableWhy: 'the a5000 GPU quota of 6' };
  assert.deepEqual(capDecision(10, 2, quota), { replicas: 6, note: 'capped at 6: the a5000 GPU quota of 6' });
  assert.deepEqual(capDecision(10, 8, quota), { replicas: 8, note: 'capped at 8: the a5000 GPU quota of 6' }, 'a lowered quota does not shrink it');
  assert.deepEqual(capDecision(4, 8, quota), { replicas: 4, note: null }, 'a scale-down is never capped');
  assert.deepEqual(capDecision(20, 2, { ...quota, max: 12 }), {
    replicas: 6,
    note: 'capped at 12: the autoscale maximum; capped at 6: the a5000 GPU quota of 6',
  });
});

test('manual scale and the autoscale maximum share one cap, and its error names the field and the limit', () => {
  assert.deepEqual(parseInput(scaleSchema, { replicas: MAX_REPLICAS }), { replicas: MAX_REPLICAS });
  assert.throws(
    () => parseInput(scaleSchema, { replicas: MAX_REPLICAS + 1 }),
    (e: InferscaleError) => e.details.field === 'replicas' && e.message.includes(String(MAX_REPLICAS)),
  );
  assert.equal(buildAutoscaleSpec({ minReplicas: 0, maxReplicas: MAX_REPLICAS }).maxReplicas, MAX_REPLICAS);
  assert.throws(
    () => buildAutoscaleSpec({ minReplicas: 0, maxReplicas: MAX_REPLICAS + 1 }),
    (e: InferscaleError) => e.details.field === 'maxReplicas' && e.message.includes(String(MAX_REPLICAS)),
  );
});
