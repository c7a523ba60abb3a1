// Verified against the in-memory fake API over HTTP with the real @kubernetes/client-node; not against a live cluster.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { CapacitySpec, NodeCapacity } from '../../domain/capacity.js';
import { engineDriver } from '../../engines/registry.js';
import type { ExitInfo, ReplicaHandle } from '../types.js';
import { markDisruptionTarget, reclaimNode, setNodeReady, taintNode } from './fake/disruption.js';
import { KubernetesProvider } from './provider.js';
import { renderWorkload } from './render.js';
import { chooseCapacity, LABEL_CAPACITY, rendersWithoutSpot } from './spot.js';
import { KARPENTER_L4_LABELS, startFakeKube, testZone, until, type FakeKube } from './testkit.js';

const driver = engineDriver('sim');
const launch = { modelName: 'm', engineParams: '', gpus: [], gpuCount: 1 };
const target = { zone: 'fake-eks', gpuType: 'l4', drainTimeoutMs: 30_000, labels: {} };
const GPU_TAINT = { key: 'nvidia.com/gpu', effect: 'NoSchedule' };
const SPOT_TAINT = { key: 'example.com/spot', value: 'true', effect: 'NoSchedule' as const };
/** Karpenter's capacity-type label, and a spot taint on spot nodes that only spot pods tolerate */
const spotZone = (fallbackAfterSeconds = 60) =>
  testZone({ spot: { labelKey: 'karpenter.sh/capacity-type', spotValue: 'spot', onDemandValue: 'on-demand', taints: [SPOT_TAINT], fallbackAfterSeconds } });

test('chooseCapacity: the floor first, then spot; on-demand once spot has been short past the bound', () => {
  const spec: CapacitySpec = { capacity: 'mixed', onDemandFloor: 1 };
  const base = { spec, onDemand: 0, spot: 0, spotShortSince: undefined, now: 100_000, fallbackAfterMs: 60_000 };
  assert.equal(chooseCapacity(base), 'on-demand');
  assert.equal(chooseCapacity({ ...base, onDemand: 1 }), 'spot');
  assert.equal(chooseCapacity({ ...base, onDemand: 1, spotShortSince: 50_000 }), 'spot');
  assert.equal(chooseCapacity({ ...base, onDemand: 1, spotShortSince: 40_000 }), 'on-demand');
  assert.equal(chooseCapacity({ ...base, spec: { capacity: 'spot', onDemandFloor: 0 }, spotShortSince: 0 }), 'spot');
  assert.equal(chooseCapacity({ ...base, spec: { capacity: 'on-demand', onDemandFloor: 0 }, onDemand: 5 }), 'on-demand');
});

test('render: spot pods select spot nodes and tolerate the spot taint; on-demand pods neither; a zone without spot is unchanged', () => {
  const spec = { name: 'chat', driver, modelName: 'm', engineParams: '', gpuType: 'l4', gpuCount: 1, drainTimeoutMs: 1000, labels: {}, replicas: 0 };
  const spot = renderWorkload(spotZone(), { ...spec, capacity: 'spot' });
  const od = renderWorkload(spotZone(), { ...spec, capacity: 'on-demand' });
  assert.notEqual(spot.workload, od.workload, 'two workloads');
  assert.equal(spot.service.metadata?.name, od.service.metadata?.name, 'one Service (route)');
  const exprs = (w: typeof spot) =>
    w.deployment.spec!.template.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0].matchExpressions;
  assert.deepEqual(exprs(spot)?.at(-1), { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] });
  assert.deepEqual(exprs(od)?.at(-1), { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] });
  assert.ok(spot.deployment.spec!.template.spec!.tolerations!.some((t) => t.key === 'example.com/spot' && t.value === 'true'));
  assert.ok(!od.deployment.spec!.template.spec!.tolerations!.some((t) => t.key === 'example.com/spot'));
  assert.equal(spot.deployment.spec!.template.metadata!.labels![LABEL_CAPACITY], 'spot');
  // spot pods spread over zones (a preference), selecting every spot pod of the deployment; on-demand pods do not
  const spread = spot.deployment.spec!.template.spec!.topologySpreadConstraints;
  assert.deepEqual(spread, [
    {
      maxSkew: 1,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { 'inferscale.dev/deployment': 'chat', 'app.kubernetes.io/managed-by': 'inferscale', [LABEL_CAPACITY]: 'spot' } },
    },
  ]);
  assert.equal(od.deployment.spec!.template.spec!.topologySpreadConstraints, undefined);
  const gke = testZone({ spot: { labelKey: 'cloud.google.com/gke-spot', spotValue: 'true', onDemandValue: undefined, taints: [], fallbackAfterSeconds: 60 } });
  assert.deepEqual(exprs(renderWorkload(gke, { ...spec, capacity: 'on-demand' }))?.at(-1), {
    key: 'cloud.google.com/gke-spot',
    operator: 'NotIn',
    values: ['true'],
  });
  assert.deepEqual(renderWorkload(testZone(), { ...spec, capacity: 'spot' }), renderWorkload(testZone(), spec));
});

/** A clock on real time that a test may move forward (the fallback bound), so nothing sleeps. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { ...systemClock, now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

describe('a mixed deployment against the fake API (HTTP, real client library)', () => {
  let k: FakeKube;
  before(async () => {
    k = await startFakeKube();
    k.controllers.addNode('od-1', { ...KARPENTER_L4_LABELS, 'karpenter.sh/capacity-type': 'on-demand' }, 4, [GPU_TAINT]);
  });
  after(() => k.close());

  async function setup(spec: CapacitySpec, fallbackAfterSeconds = 60) {
    const clock = movableClock();
    const recorded = new Map<string, NodeCapacity>();
    const p = new KubernetesProvider({
      zone: spotZone(fallbackAfterSeconds),
      kubeConfig: k.kc,
      clock,
      log: () => undefined,
      scaleDownTimeoutMs: 5000,
      capacityOf: () => spec,
      onCapacity: (id, _d, c) => void recorded.set(id, c),
    });
    assert.equal(await p.init(), true);
    const exits: ExitInfo[] = [];
    p.onExit((e) => exits.push(e));
    return { p, clock, recorded, exits };
  }
  const podOf = (id: string) => k.cluster.list('pods', k.namespace).items.find((x) => x.metadata.annotations?.['inferscale.dev/replica'] === id);
  const nodeOf = (id: string) => podOf(id)?.spec?.nodeName as string | undefined;
  /** ready, and its pod annotated as bound to it */
  const ready = async (p: KubernetesProvider, h: ReplicaHandle) => {
    await until(async () => (await p.probe(h)) === 'ready', `${h.replicaId} ready`);
    await until(() => nodeOf(h.replicaId), `${h.replicaId} bound`);
  };

  it('floor 1 and 3 replicas: 1 pod on an on-demand node and 2 on spot nodes, two workloads behind one Service', async () => {
    k.controllers.addNode('spot-1', { ...KARPENTER_L4_LABELS, 'karpenter.sh/capacity-type': 'spot' }, 4, [GPU_TAINT, SPOT_TAINT]);
    const { p, recorded, exits } = await setup({ capacity: 'mixed', onDemandFloor: 1 });
    const hs = [];
    for (const id of ['mix-1', 'mix-2', 'mix-3']) hs.push(await p.start(id, 'mix', driver, launch, target));
    for (const h of hs) await ready(p, h);
    assert.deepEqual(['mix-1', 'mix-2', 'mix-3'].map(nodeOf), ['od-1', 'spot-1', 'spot-1']);
    assert.deepEqual([...recorded.values()], ['on-demand', 'spot', 'spot']);
    const workloads = k.cluster.list('deployments', k.namespace).items.filter((d) => d.metadata.labels?.['inferscale.dev/deployment'] === 'mix');
    assert.deepEqual(workloads.map((d) => d.spec.replicas).sort(), [1, 2]);
    assert.equal(k.cluster.list('services', k.namespace).items.filter((s) => s.metadata.name === 'mix').length, 1);

    // the reclaim notice: the pod leaves rotation at once (an exit with the reason), before its eviction
    const pod = podOf('mix-2')!;
    markDisruptionTarget(k.cluster, k.namespace, pod.metadata.name);
    await until(() => exits.find((e) => e.replicaId === 'mix-2'), 'mix-2 reported gone');
    assert.match(exits[0].signal ?? '', /DisruptionTarget/);
    assert.equal(p.replicaUrl({ replicaId: 'mix-2' } as never), undefined, 'no longer routed to');
    // Karpenter's disruption taint on the node: its other pod leaves rotation too
    taintNode(k.cluster, 'spot-1', { key: 'karpenter.sh/disrupted', effect: 'NoSchedule' });
    await until(() => exits.find((e) => e.replicaId === 'mix-3'), 'mix-3 reported gone');
    assert.equal(await p.probe(hs[2]), 'gone');
    assert.equal(await p.probe(hs[0]), 'ready');
    // the on-demand node going NotReady takes its pod out of rotation as well
    setNodeReady(k.cluster, 'od-1', 'False');
    await until(() => exits.find((e) => e.replicaId === 'mix-1'), 'mix-1 reported gone');
    setNodeReady(k.cluster, 'od-1', 'True');
    await p.removeDeployment('mix');
    await p.close();
    reclaimNode(k.cluster, 'spot-1');
    await until(() => !k.cluster.tryGet('nodes', undefined, 'spot-1'), 'spot-1 gone');
  });

  it('spot short past the bound: on-demand replaces the waiting spot replicas and the next one; spot again once it returns', async () => {
    const { p, clock, recorded } = await setup({ capacity: 'mixed', onDemandFloor: 0 }, 60);
    const a = await p.start('fb-1', 'fb', driver, launch, target);
    await until(() => podOf('fb-1') && p.waitingForCapacity(a) && /waiting for a GPU node/.test(p.describe(a) ?? ''), 'fb-1 pending: no spot node');
    const b = await p.start('fb-2', 'fb', driver, launch, target);
    assert.equal(podOf('fb-2')?.metadata.labels?.[LABEL_CAPACITY] ?? 'spot', 'spot', 'within the bound: still spot');
    clock.advance(61_000);
    const c = await p.start('fb-3', 'fb', driver, launch, target);
    await ready(p, c);
    assert.equal(nodeOf('fb-3'), 'od-1', 'past the bound: on-demand');
    // the replicas already waiting on spot move to on-demand (the timer's work, called here on the moved clock)
    assert.deepEqual((await p.fallBack()).sort(), ['fb-1', 'fb-2']);
    for (const h of [a, b]) await ready(p, h);
    assert.deepEqual(['fb-1', 'fb-2'].map(nodeOf), ['od-1', 'od-1']);
    assert.deepEqual(
      ['fb-1', 'fb-2', 'fb-3'].map((id) => recorded.get(id)),
      ['on-demand', 'on-demand', 'on-demand'],
    );
    const noSpotPods = () => !k.cluster.list('pods', k.namespace).items.some((x) => x.metadata.labels?.[LABEL_CAPACITY] === 'spot');
    await until(noSpotPods, 'the pending spot pods gone');
    assert.deepEqual(await p.fallBack(), [], 'nothing left to move');
    // spot still short: moving back asks for a spot pod, gives it up when it does not come, and moves nothing
    assert.deepEqual(await p.moveBack(300), []);
    await until(noSpotPods, 'the spot pod asked for is given up');
    assert.deepEqual(['fb-1', 'fb-2', 'fb-3'].map(nodeOf), ['od-1', 'od-1', 'od-1']);
    k.controllers.addNode('spot-2', { ...KARPENTER_L4_LABELS, 'karpenter.sh/capacity-type': 'spot' }, 4, [GPU_TAINT, SPOT_TAINT]);
    const d = await p.start('fb-4', 'fb', driver, launch, target);
    await ready(p, d);
    assert.equal(nodeOf('fb-4'), 'spot-2', 'spot returned: spot again');
    // the fallback replicas move back to spot: a spot pod beside each, then the on-demand pod goes
    assert.deepEqual((await p.moveBack(10_000)).sort(), ['fb-1', 'fb-2', 'fb-3']);
    await until(() => ['fb-1', 'fb-2', 'fb-3', 'fb-4'].every((id) => nodeOf(id) === 'spot-2'), 'all on spot-2');
    for (const h of [a, b, c, d]) assert.equal(await p.probe(h), 'ready');
    await until(
      () => !k.cluster.list('pods', k.namespace).items.some((x) => x.spec?.nodeName === 'od-1' && !x.metadata.deletionTimestamp),
      'on-demand pods gone',
    );
    assert.deepEqual(
      ['fb-1', 'fb-2', 'fb-3'].map((id) => recorded.get(id)),
      ['spot', 'spot', 'spot'],
    );
    assert.deepEqual(await p.moveBack(1000), [], 'nothing above the floor');
    for (const h of [a, b, c, d]) await p.stop(h, 1000);
    await p.removeDeployment('fb');
    await p.close();
  });

  it('a zone that gains tainted spot nodes keeps the template (and the Kubernetes Deployment) of an on-demand deployment: its replicas do not roll', async () => {
    const onDemand: CapacitySpec = { capacity: 'on-demand', onDemandFloor: 0 };
    const workloadsOf = (name: string) =>
      k.cluster
        .list('deployments', k.namespace)
        .items.filter((x) => x.metadata.labels?.['inferscale.dev/deployment'] === name)
        .map((x) => x.metadata.name);
    const before = new KubernetesProvider({ zone: testZone(), kubeConfig: k.kc, clock: systemClock, log: () => undefined, scaleDownTimeoutMs: 5000 });
    assert.equal(await before.init(), true);
    const h = await before.start('od-a', 'steady', driver, launch, target);
    await ready(before, h);
    const [workload] = workloadsOf('steady');
    await before.close();
    // the same server after the zones file declares spot nodes (a spot taint): a new replica of the deployment
    const { p, recorded } = await setup(onDemand);
    assert.equal(p.adopt(h), true);
    const h2 = await p.start('od-b', 'steady', driver, launch, target);
    await ready(p, h2);
    assert.deepEqual(workloadsOf('steady'), [workload], 'the same Kubernetes Deployment, scaled to 2; no second template');
    assert.deepEqual(
      ['od-a', 'od-b'].map((id) => podOf(id)?.metadata.labels?.['inferscale.dev/template']),
      [workload.split('-').at(-1), workload.split('-').at(-1)],
    );
    assert.equal(recorded.size, 0, 'no capacity to record: the deployment does not use spot');
    // where spot nodes carry no taint (Karpenter's label only), the on-demand requirement is what keeps its pods off them
    const untainted = testZone({
      spot: { labelKey: 'karpenter.sh/capacity-type', spotValue: 'spot', onDemandValue: 'on-demand', taints: [], fallbackAfterSeconds: 60 },
    });
    assert.equal(rendersWithoutSpot(untainted.spot, 'on-demand'), false);
    assert.equal(rendersWithoutSpot(spotZone().spot, 'on-demand'), true);
    assert.equal(rendersWithoutSpot(spotZone().spot, 'mixed'), false);
    for (const x of [h, h2]) await p.stop(x, 1000);
    await p.removeDeployment('steady');
    await p.close();
  });
});
