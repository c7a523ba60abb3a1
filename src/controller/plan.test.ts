import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planReplicas } from './plan.js';
import type { Replica, ReplicaState } from '../domain/types.js';

let seq = 0;
const rep = (state: ReplicaState, generation = 1, createdAt = seq++): Replica => ({
  id: `r${createdAt}`,
  deploymentId: 'd',
  state,
  stateReason: '',
  gpus: [],
  pid: null,
  port: null,
  generation,
  createdAt,
  startedAt: null,
  readyAt: null,
  stoppedAt: null,
  coldStartMs: null,
  exitInfo: '',
});

test('scale up creates the missing replicas, unless a crash backoff holds creation', () => {
  const active = [rep('ready')];
  assert.equal(planReplicas({ desired: 3, generation: 1, active, inflight: () => 0, mayCreate: true }).create, 2);
  assert.equal(planReplicas({ desired: 3, generation: 1, active, inflight: () => 0, mayCreate: false }).create, 0);
});

test('scale down takes pending, then starting (newest first), then the ready replica with fewest in flight', () => {
  const a = rep('ready'),
    b = rep('ready'),
    s1 = rep('starting'),
    s2 = rep('starting'),
    p = rep('pending');
  const inflight = (id: string) => (id === a.id ? 5 : 1);
  const plan = planReplicas({ desired: 1, generation: 1, active: [a, b, s1, s2, p], inflight, mayCreate: true });
  assert.deepEqual(
    plan.remove.map((r) => r.id),
    [p.id, s2.id, s1.id, b.id],
  );
  assert.equal(plan.create, 0);
});

test("a mixed deployment's scale-down takes its on-demand floor last: the floor's best replicas are kept, on-demand ones above it are not", () => {
  const od1 = rep('ready'),
    od2 = rep('ready'),
    s1 = rep('ready'),
    s2 = rep('ready');
  // the on-demand ones have the fewest in flight: without the floor they would go first
  const inflight = (id: string) => (id === od1.id || id === od2.id ? 0 : 3);
  const onDemand = (id: string) => id === od1.id || id === od2.id;
  const active = [od1, od2, s1, s2];
  const base = { generation: 1, active, inflight, mayCreate: true };
  assert.deepEqual(
    planReplicas({ ...base, desired: 3 }).remove.map((r) => r.id),
    [od1.id],
    'no floor: the least loaded',
  );
  // floor 1: one on-demand replica is kept (the one taken last: od2, the younger of two equals), the other may go
  const floor1 = () => ({ onDemandFloor: 1, onDemand });
  assert.deepEqual(
    planReplicas({ ...base, desired: 3, floor: floor1 }).remove.map((r) => r.id),
    [od1.id],
  );
  assert.deepEqual(
    planReplicas({ ...base, desired: 2, floor: floor1 }).remove.map((r) => r.id),
    [od1.id, s1.id],
  );
  // floor 2: both on-demand replicas stay while spot ones are left to take
  assert.deepEqual(
    planReplicas({ ...base, desired: 2, floor: () => ({ onDemandFloor: 2, onDemand }) }).remove.map((r) => r.id),
    [s1.id, s2.id],
  );
  // down to zero everything goes, the floor last
  assert.deepEqual(
    planReplicas({ ...base, desired: 0, floor: floor1 }).remove.map((r) => r.id),
    [od1.id, s1.id, s2.id, od2.id],
  );
});

test('a rolling update surges one new replica and drains an old ready one only once a new one is ready', () => {
  const o1 = rep('ready', 1),
    o2 = rep('ready', 1);
  let plan = planReplicas({ desired: 2, generation: 2, active: [o1, o2], inflight: () => 0, mayCreate: true });
  assert.equal(plan.create, 1);
  assert.deepEqual(plan.remove, []);
  const n1 = rep('starting', 2);
  plan = planReplicas({ desired: 2, generation: 2, active: [o1, o2, n1], inflight: () => 0, mayCreate: true });
  assert.deepEqual([plan.create, plan.remove.length], [0, 0], 'nothing drained while the new one starts');
  n1.state = 'ready';
  plan = planReplicas({ desired: 2, generation: 2, active: [o1, o2, n1], inflight: (id) => (id === o1.id ? 3 : 0), mayCreate: true });
  assert.deepEqual(
    plan.remove.map((r) => r.id),
    [o2.id],
    'the old replica with fewest in flight goes',
  );
});
