import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentConditions, editReason, type ConditionInput } from './crd-conditions.js';

const base: ConditionInput = { status: 'ready', statusDetails: '', desired: 2, ready: 2, autoscaled: false, generation: 4 };
const T0 = Date.UTC(2026, 0, 1);
const pick = (cs: ReturnType<typeof deploymentConditions>) => Object.fromEntries(cs.map((c) => [c.type, `${c.status} ${c.reason}`]));

test('a deployment with every replica ready is Ready, settled and not degraded', () => {
  const cs = deploymentConditions(base, undefined, T0);
  assert.deepEqual(pick(cs), { Ready: 'True ReplicasReady', Progressing: 'False Settled', Degraded: 'False AsExpected', SpecApplied: 'True Applied' });
  assert.ok(cs.every((c) => c.observedGeneration === 4 && c.lastTransitionTime === new Date(T0).toISOString()));
});

test('starting, failing, partly ready, scaled to zero and deleting each read as Kubernetes tools expect', () => {
  assert.deepEqual(pick(deploymentConditions({ ...base, status: 'deploying', ready: 0, statusDetails: 'pulling' }, [], T0)).Ready, 'False NoReplicaReady');
  assert.deepEqual(pick(deploymentConditions({ ...base, status: 'deploying', ready: 0 }, [], T0)).Progressing, 'True Deploying');
  const failing = pick(deploymentConditions({ ...base, status: 'error', ready: 0, statusDetails: 'replicas keep failing' }, [], T0));
  assert.deepEqual([failing.Progressing, failing.Degraded], ['False ReplicasFailing', 'True ReplicasFailing']);
  const partly = pick(deploymentConditions({ ...base, ready: 1 }, [], T0));
  assert.deepEqual([partly.Ready, partly.Degraded], ['False ReplicasUnavailable', 'True ReplicasUnavailable']);
  assert.equal(pick(deploymentConditions({ ...base, status: 'scaling', ready: 1 }, [], T0)).Degraded, 'False AsExpected', 'scaling up is not degraded');
  assert.equal(pick(deploymentConditions({ ...base, desired: 0, ready: 0, autoscaled: true }, [], T0)).Ready, 'True ScaledToZero');
  assert.equal(pick(deploymentConditions({ ...base, desired: 0, ready: 0, status: 'stopped' }, [], T0)).Ready, 'False Stopped');
  assert.equal(pick(deploymentConditions({ ...base, status: 'deleting' }, [], T0)).Ready, 'False Deleting');
});

test('a condition keeps its transition time while its status holds; a refused scale stands until the next change', () => {
  const first = deploymentConditions({ ...base, autoscaled: true, edit: { refused: true, message: 'autoscaled', code: 'autoscaling_enabled' } }, undefined, T0);
  assert.equal(pick(first).SpecApplied, 'False ScaleRefused');
  const later = deploymentConditions({ ...base, ready: 1, autoscaled: true }, first, T0 + 60_000);
  const at = (cs: typeof first, type: string) => cs.find((c) => c.type === type)?.lastTransitionTime;
  assert.equal(pick(later).SpecApplied, 'False ScaleRefused');
  assert.equal(at(later, 'SpecApplied'), new Date(T0).toISOString());
  assert.equal(at(later, 'Progressing'), new Date(T0).toISOString(), 'still False');
  assert.equal(at(later, 'Ready'), new Date(T0 + 60_000).toISOString(), 'True -> False');
  const applied = deploymentConditions({ ...base, edit: { refused: false, message: 'replicas applied' } }, later, T0 + 120_000);
  assert.equal(pick(applied).SpecApplied, 'True EditApplied');
  assert.equal(at(applied, 'SpecApplied'), new Date(T0 + 120_000).toISOString());
  assert.equal(pick(deploymentConditions(base, [{ bogus: 1 }, null], T0)).SpecApplied, 'True Applied', 'malformed conditions are ignored');
});

test('editReason names a refused scale apart from other refused edits', () => {
  assert.deepEqual(
    [editReason({ refused: false }), editReason({ refused: true, code: 'autoscaling_enabled' }), editReason({ refused: true, code: 'immutable_field' })],
    ['EditApplied', 'ScaleRefused', 'EditRefused'],
  );
});
