import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferscaleError } from '../../core/errors.js';
import { drive, SEC } from '../testkit.js';
import { createPolicy, POLICY_NAMES } from './index.js';
import { createStaticPolicy } from './static.js';

describe('static baselines and the registry', () => {
  it('static policies hold their count', () => {
    const p = createStaticPolicy('static-peak', 6);
    assert.equal(p.decide({} as never, null).desired, 6);
    assert.throws(() => createStaticPolicy('static-mean', -1), InferscaleError);
  });
  it('creates every policy by name, comparably', () => {
    for (const name of POLICY_NAMES) {
      const p = createPolicy(name, { targetConcurrency: 4, maxReplicas: 8, staticReplicas: 3, targetQpsPerReplica: 2 });
      assert.equal(p.name, name);
      assert.ok(p.tickMs > 0);
    }
    assert.equal(createPolicy('ours', { targetConcurrency: 4, maxReplicas: 8 }).tickMs, 1000);
    assert.equal(createPolicy('hpa', { targetConcurrency: 4, maxReplicas: 8 }).tickMs, 15_000);
  });
  it('says what is missing', () => {
    assert.throws(() => createPolicy('skyserve', { targetConcurrency: 4, maxReplicas: 8 }), /targetQpsPerReplica/);
    assert.throws(() => createPolicy('static-peak', { targetConcurrency: 4, maxReplicas: 8 }), /staticReplicas/);
    assert.throws(() => createPolicy('kpa', { targetConcurrency: 0, maxReplicas: 8 }), /targetConcurrency/);
    assert.throws(() => createPolicy('nope' as never, { targetConcurrency: 4, maxReplicas: 8 }), /unknown policy/);
  });
  it('passes undefined options through as the project defaults', () => {
    const p = createPolicy('ray', { targetConcurrency: 2, maxReplicas: 8, minReplicas: undefined });
    const steps = drive(p, { durationMs: 1 * SEC, initialDesired: 0, load: () => ({}), replicas: () => ({ ready: 1 }) });
    assert.equal(steps[steps.length - 1].desired, 0, 'ray with no load and current 0 holds (min 1 applies to proposals)');
    const h = createPolicy('hpa', { targetConcurrency: 2, maxReplicas: 8, minReplicas: undefined });
    const hs = drive(h, { durationMs: 15 * SEC, initialDesired: 3, load: () => ({}), replicas: () => ({ ready: 3 }) });
    assert.equal(hs[0].desired, 3, 'HPA scale-down is stabilized for 300 s');
  });
});
