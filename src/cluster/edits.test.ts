import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InferscaleError } from '../core/errors.js';
import type { DeploymentRow } from '../store/store.js';
import { applySpecEdit, type EditDeps } from './edits.js';

/** A service that records calls and refuses a scale while autoscaling is on, as the real one does. */
function deps(autoscaled = false) {
  const calls: string[] = [];
  const events: { kind: string; message: string; data?: unknown }[] = [];
  const d = { id: 'id-chat', name: 'chat' } as DeploymentRow;
  const service: EditDeps['deployments'] = {
    get: () => d,
    create: (input) => (calls.push(`create ${JSON.stringify(input)}`), undefined as never),
    delete: (n) => void calls.push(`delete ${n}`),
    update: (_n, input) => (calls.push(`update ${JSON.stringify(input)}`), undefined as never),
    setAutoscale: (_n, input) => (calls.push(`autoscale ${JSON.stringify(input)}`), undefined as never),
    disableAutoscale: () => (calls.push('autoscale off'), undefined as never),
    scale: (_n, input) => {
      if (autoscaled) throw new InferscaleError('autoscaling_enabled', 'deployment "chat" is autoscaled');
      calls.push(`scale ${JSON.stringify(input)}`);
      return undefined as never;
    },
  };
  return {
    d,
    calls,
    events,
    deps: {
      deployments: service,
      store: { addEvent: (_id: string, _at: number, kind: string, message: string, data?: unknown) => void events.push({ kind, message, data }) },
    },
  };
}

test('an edit goes through update, then autoscale, then scale; the event lists what was applied', () => {
  const t = deps();
  assert.deepEqual(applySpecEdit(t.deps, t.d, { replicas: 3, autoscale: null, engineParams: '--x 1' }, 5), {
    row: t.d,
    refused: false,
    message: 'the InferenceDeployment was edited in the cluster: engineParams, autoscale, replicas applied',
  });
  assert.deepEqual(t.calls, ['update {"engineParams":"--x 1"}', 'autoscale off', 'scale {"replicas":3}']);
  assert.deepEqual(
    t.events.map((e) => e.message),
    ['the InferenceDeployment was edited in the cluster: engineParams, autoscale, replicas applied'],
  );
});

test('refused edits change nothing when checked up front, and say what was applied before a later refusal', () => {
  const fixed = deps();
  applySpecEdit(fixed.deps, fixed.d, { zone: 'other', replicas: 2 }, 5);
  assert.deepEqual(fixed.calls, []);
  assert.match(fixed.events[0].message, /refused: zone: is fixed at creation .*; set back$/);
  assert.deepEqual(fixed.events[0].data, { code: 'immutable_field', field: 'zone' });
  const unknown = deps();
  applySpecEdit(unknown.deps, unknown.d, { colour: 'red' }, 5);
  assert.deepEqual(unknown.calls, []);
  assert.match(unknown.events[0].message, /colour: unknown field/);
  const late = deps(true);
  applySpecEdit(late.deps, late.d, { labels: { a: 'b' }, replicas: 4 }, 5);
  assert.deepEqual(late.calls, ['update {"labels":{"a":"b"}}']);
  assert.equal(
    late.events[0].message,
    'an edit of the InferenceDeployment in the cluster was refused: deployment "chat" is autoscaled; labels applied before that, the rest set back',
  );
});

test('capacity fields removed from the spec ask for their defaults; gpuMemory is fixed at creation', () => {
  const t = deps();
  applySpecEdit(t.deps, t.d, { capacity: null, onDemandFloor: null }, 5);
  assert.deepEqual(t.calls, ['update {"capacity":"on-demand","onDemandFloor":0}']);
  const mem = deps();
  applySpecEdit(mem.deps, mem.d, { gpuMemory: '20Gi' }, 5);
  assert.deepEqual(mem.calls, []);
  assert.deepEqual(mem.events[0].data, { code: 'immutable_field', field: 'gpuMemory' });
});
