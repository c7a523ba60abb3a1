import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferscaleError } from '../core/errors.js';
import { createStaticPolicy } from './baselines/static.js';
import { createPolicy, LIVE_POLICY_NAMES, livePolicy, POLICY_NAMES } from './policies.js';
import { buildAutoscaleSpec } from './spec.js';
import { drive, SEC } from './testkit.js';

const spec = buildAutoscaleSpec({ targetOngoingRequests: 4, maxReplicas: 8 });

describe('the policy registry', () => {
  it('static policies hold their count', () => {
    const p = createStaticPolicy('static-peak', 6);
    assert.equal(p.decide({} as never, null).desired, 6);
    assert.throws(() => createStaticPolicy('static-mean', -1), InferscaleError);
  });
  it('creates every policy by name, comparably', () => {
    for (const name of POLICY_NAMES) {
      const p = createPolicy(name, { spec, staticReplicas: 3, targetQpsPerReplica: 2 });
      assert.equal(p.name, name);
      assert.ok(p.tickMs > 0);
    }
    assert.equal(createPolicy('ours', { spec }).tickMs, 1000);
    assert.equal(createPolicy('hpa', { spec }).tickMs, 15_000);
  });
  it('says what is missing', () => {
    assert.throws(() => createPolicy('skyserve', { spec }), /targetQpsPerReplica/);
    assert.throws(() => createPolicy('static-peak', { spec }), /staticReplicas/);
    assert.throws(() => createPolicy('nope' as never, { spec }), /unknown policy/);
  });
  it('passes undefined options through as the project defaults', () => {
    const p = createPolicy('ray', { spec: buildAutoscaleSpec({ targetOngoingRequests: 2, maxReplicas: 8 }), minReplicas: undefined });
    const steps = drive(p, { durationMs: 1 * SEC, initialDesired: 0, load: () => ({}), replicas: () => ({ ready: 1 }) });
    assert.equal(steps[steps.length - 1].desired, 0, 'ray with no load and current 0 holds (min 1 applies to proposals)');
    const h = createPolicy('hpa', { spec: buildAutoscaleSpec({ targetOngoingRequests: 2, maxReplicas: 8 }), minReplicas: undefined });
    const hs = drive(h, { durationMs: 15 * SEC, initialDesired: 3, load: () => ({}), replicas: () => ({ ready: 3 }) });
    assert.equal(hs[0].desired, 3, 'HPA scale-down is stabilized for 300 s');
  });
  it("runs live what the spec names, with the spec's minimum; the static ones only in the simulator", () => {
    assert.deepEqual([...LIVE_POLICY_NAMES], ['ours', 'kpa', 'ray', 'hpa', 'keda', 'skyserve']);
    assert.equal(livePolicy(spec).name, 'ours');
    const kpa = livePolicy(buildAutoscaleSpec({ policy: 'kpa', minReplicas: 2, maxReplicas: 8 }));
    assert.equal(kpa.name, 'kpa');
    const steps = drive(kpa, { durationMs: 10 * SEC, initialDesired: 2, load: () => ({}), replicas: () => ({ ready: 2 }) });
    assert.ok(
      steps.every((s) => s.desired >= 2),
      "KPA keeps the spec's minimum of 2 when idle",
    );
    const sky = livePolicy(buildAutoscaleSpec({ policy: 'skyserve', targetQpsPerReplica: 3 }));
    assert.equal(sky.name, 'skyserve');
    assert.throws(() => livePolicy({ ...spec, policy: 'static-peak' }), /does not run live/);
  });
});
