import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inProcessService } from '../service/testkit.js';
import { RouteTable } from '../gateway/route-table.js';
import { HistorySampler } from '../history/sampler.js';
import { HistoryStore } from '../history/store.js';
import type { PolicyInput, ScalingPolicy } from '../autoscaler/types.js';
import { AutoscalerLoop } from './autoscaler-loop.js';

// The loop in process: real store and service (service/testkit.ts), route table and 1 s sampler under a fake
// clock; the policy is a plain one that asks for whatever the test sets and reports a model summary.
function setup(o: { tickMs?: number; policy?: 'spec'; log?: string[] } = {}) {
  const { clock, store, deployments } = inProcessService();
  const routes = new RouteTable(clock);
  const sampler = new HistorySampler({ clock, history: new HistoryStore(store.db), store, routes });
  const asked: { desired: number; notice?: string } = { desired: 0 };
  const seen: PolicyInput[] = [];
  const policy = (): ScalingPolicy<number> => ({
    name: 'asked',
    tickMs: o.tickMs ?? 1000,
    init: () => 0,
    decide: (input, n) => (
      seen.push(input),
      { desired: asked.desired, reason: `asked for ${asked.desired}`, state: n + 1, model: { decisions: n + 1, slopeMs: 12.34567 }, notice: asked.notice }
    ),
  });
  const coldStartMs = (id: string) => (store.getDeployment(id)?.name === 'slow' ? 240_000 : 30_000);
  const loop = new AutoscalerLoop({
    store,
    routes,
    deployments,
    clock,
    samples: sampler,
    demand: { history: () => [] },
    log: (line) => void o.log?.push(line),
    coldStartMs,
    policy: o.policy === 'spec' ? undefined : policy,
  });
  const tick = async () => {
    clock.advance(1000);
    await sampler.tick();
  };
  return { store, routes, deployments, loop, asked, seen, tick };
}

test("the loop applies a decision above 64 and shows the policy's model summary", async () => {
  const { store, deployments, loop, asked, tick } = setup();
  deployments.create({ name: 'big', modelName: 'm', replicas: 0 });
  deployments.setAutoscale('big', { minReplicas: 0, maxReplicas: 1000, forecast: false });
  const id = store.getDeploymentByName('big')!.id;
  asked.desired = 100;
  await tick();
  assert.equal(store.getDeployment(id)!.replicas, 100);
  const s = loop.status(id);
  assert.deepEqual([s.lastDecision?.desired, s.lastDecision?.reason], [100, 'asked for 100']);
  assert.deepEqual(s.model, { decisions: 1, slopeMs: 12.34567 });
  assert.deepEqual(s.signals && { completions: s.signals.completions, arrivals: s.signals.arrivals }, { completions: 0, arrivals: 0 });
});

test('the loop caps a decision above what quota allows, saying so, instead of dropping it', async () => {
  const { store, deployments, loop, asked, seen, tick } = setup();
  deployments.create({ name: 'big', modelName: 'm', replicas: 1 });
  deployments.setAutoscale('big', { minReplicas: 1, maxReplicas: 1000, forecast: false });
  deployments.setGpuQuota('a5000', 20);
  const id = store.getDeploymentByName('big')!.id;
  asked.desired = 70;
  await tick();
  assert.equal(seen.at(-1)!.placeableReplicas, 20, 'the policy is told the bound');
  assert.equal(store.getDeployment(id)!.replicas, 20);
  const last = loop.status(id).lastDecision!;
  assert.equal(last.desired, 20);
  assert.match(last.reason, /^asked for 70; capped at 20: the a5000 GPU quota of 20/);
  assert.match(store.listEvents(id, { kind: 'autoscale' }).at(-1)!.message, /^autoscaled 1 -> 20: asked for 70; capped at 20: /);
});

test('a notice from the policy is recorded as an autoscale event even when the replica count stays', async () => {
  const { store, deployments, asked, tick } = setup();
  deployments.create({ name: 'long', modelName: 'm', replicas: 2 });
  deployments.setAutoscale('long', { minReplicas: 2, maxReplicas: 4, forecast: false });
  const id = store.getDeploymentByName('long')!.id;
  asked.desired = 2;
  asked.notice = 'TTFT SLO breach that replicas cannot fix: 92% of it prefill';
  await tick();
  asked.notice = undefined;
  await tick();
  assert.equal(store.getDeployment(id)!.replicas, 2);
  const notes = store.listEvents(id, { kind: 'autoscale' }).filter((e) => /cannot fix/.test(e.message));
  assert.equal(notes.length, 1);
});

test('the loop takes the cold start from the function it is given', async () => {
  const { store, deployments, loop, seen, tick } = setup();
  deployments.create({ name: 'slow', modelName: 'm', replicas: 1 });
  deployments.setAutoscale('slow', { minReplicas: 1, maxReplicas: 4, forecast: false });
  const id = store.getDeploymentByName('slow')!.id;
  await tick();
  assert.equal(seen.at(-1)!.coldStartMs, 240_000);
  assert.equal(loop.status(id).coldStartMs, 240_000);
});

test('a policy is asked once per its tick, as the simulator asks it', async () => {
  const { store, deployments, seen, tick } = setup({ tickMs: 15_000 });
  deployments.create({ name: 'hpa-like', modelName: 'm', replicas: 1 });
  deployments.setAutoscale('hpa-like', { minReplicas: 1, maxReplicas: 4, forecast: false });
  for (let k = 0; k < 31; k++) await tick();
  assert.deepEqual(
    seen.map((i) => i.now - seen[0].now),
    [0, 15_000, 30_000],
  );
  assert.equal(seen[2].samples.length, 31, 'every sample reaches the window');
});

test('the spec names the policy: kpa decides, and its reason says so', async () => {
  const { store, deployments, loop, tick } = setup({ policy: 'spec' });
  deployments.create({ name: 'k', modelName: 'm', replicas: 1 });
  deployments.setAutoscale('k', { policy: 'kpa', minReplicas: 1, maxReplicas: 4, forecast: false });
  const id = store.getDeploymentByName('k')!.id;
  await tick();
  await tick();
  assert.match(loop.status(id).lastDecision!.reason, /^kpa (stable|panicking)/);
});

test('a stored spec naming a policy this version cannot run is said once and leaves the replicas alone', async () => {
  const log: string[] = [];
  const { store, deployments, tick } = setup({ policy: 'spec', log });
  deployments.create({ name: 'future', modelName: 'm', replicas: 2 });
  deployments.setAutoscale('future', { minReplicas: 1, maxReplicas: 4, forecast: false });
  const d = store.getDeploymentByName('future')!;
  store.updateDeployment(d.id, { autoscale: { ...d.autoscale!, policy: 'next-year' } });
  await tick();
  await tick();
  assert.equal(store.getDeployment(d.id)!.replicas, 2);
  assert.deepEqual(log, ['autoscaler cannot run future: policy: "next-year" does not run live (known: ours, kpa, ray, hpa, keda, skyserve)']);
});
