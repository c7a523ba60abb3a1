/**
 * Replicas as pods of a Kubernetes zone. Per inferscale deployment: a Deployment per pod template, a
 * headless Service and a PodDisruptionBudget (render.ts). Each replica the controller starts raises the
 * Deployment's count through the scale subresource and is bound to one pod (annotation
 * inferscale.dev/replica) as the ReplicaSet makes them; readiness comes from the pod watch, never from
 * polling. Stopping a replica removes its own pod (scale-down.ts). Pods that get a deletion timestamp or
 * fail are reported through onExit at once, so they leave rotation. The gateway sends a replica's requests
 * straight to its pod's IP (`replicaUrl`), which follows the replica when it is bound to another pod.
 */
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.js';
import { InferscaleError, invalid } from '../../core/errors.js';
import type { EngineDriver } from '../../engines/types.js';
import type { KubernetesZoneConfig } from '../../zones/config.js';
import {
  ELASTIC,
  LOCAL_COLD_START_MS,
  type ExitInfo,
  type ProbeResult,
  type ProviderCapabilities,
  type ReplicaAddress,
  type ReplicaHandle,
  type ReplicaProvider,
  type ReplicaTarget,
} from '../types.js';
import { apiMessage, KubeClient } from './client.js';
import { WatchedCache } from './informer.js';
import { ANNOTATION_DELETION_COST, ANNOTATION_REPLICA, MANAGED_SELECTOR } from './labels.js';
import { describePod, isLive, podAddressOn, podView, targetUrl, type PodView, type Target } from './pods.js';
import { renderWorkload, type WorkloadSpec } from './render.js';
import { scaleDownChoosing, type ScaleDownPort, type ScaleDownResult } from './scale-down.js';
import { WorkloadApi } from './workload.js';
import { fractionalRequest } from './fractional.js';
import { ChangeWaiters, choosePods, KeyedLock } from './bindings.js';
import type { CapacitySpec, NodeCapacity } from '../../domain/capacity.js';
import { chooseCapacity, LABEL_CAPACITY, nodeReclaiming, rendersWithoutSpot } from './spot.js';

export interface KubernetesProviderOptions {
  zone: KubernetesZoneConfig;
  kubeConfig: KubeConfig;
  clock: Clock;
  log: (line: string) => void;
  /** where a pod's engine is reached (default: pod IP and the zone's engine port); tests map pods to local servers */
  podAddress?: (pod: PodView) => Target;
  /** how long a scale-down waits for the ReplicaSet to remove a pod */
  scaleDownTimeoutMs?: number;
  /** a deployment's capacity type and on-demand floor (zones with `spot`; absent: every pod on any GPU node) */
  capacityOf?: (deployment: string) => CapacitySpec | undefined;
  /** told the kind of node each started replica asks for (the cost ledger charges it at that price) */
  onCapacity?: (replicaId: string, deployment: string, capacity: NodeCapacity) => void;
}

interface Entry {
  replicaId: string;
  deployment: string;
  workload: string;
  seq: number;
  requestedAt: number;
  podName?: string;
  removal?: Promise<void>;
  /** the kind of node asked for (zones with spot nodes) */
  capacity?: NodeCapacity;
  /** what its workload is rendered from, without the capacity (to move it to on-demand: fallBack) */
  spec?: WorkloadSpec;
}

export class KubernetesProvider implements ReplicaProvider {
  readonly capabilities: ProviderCapabilities;
  readonly client: KubeClient;
  readonly api: WorkloadApi;
  readonly pods: WatchedCache<V1Pod>;
  /** zones with spot nodes: the nodes, so a pod on a node being reclaimed (taint, NotReady) leaves rotation at once */
  readonly nodes?: WatchedCache<V1Node>;
  /** every scale-down, newest last (the last 100): which pod was chosen and which went */
  readonly scaleDowns: ScaleDownResult[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ((i: ExitInfo) => void)[] = [];
  private readonly address: (pod: PodView) => Target;
  private readonly locks = new KeyedLock();
  private readonly waiters: ChangeWaiters;
  private readonly busy = new Set<string>();
  private seq = 0;
  /** until the first start: pods bound to replicas not adopted yet are not free */
  private adopting = true;
  private bindQueued = false;
  /** spot pods asked for beside on-demand replicas that are moving back to spot (moveBack), per workload */
  private readonly standby = new Map<string, number>();
  /** fallBack checks due (cancelled on close) */
  private readonly fallbackTimers = new Set<{ cancel(): void }>();

  constructor(private readonly o: KubernetesProviderOptions) {
    this.client = new KubeClient(o.kubeConfig, o.zone.namespace);
    this.waiters = new ChangeWaiters(o.clock);
    this.api = new WorkloadApi(this.client, o.log);
    const ns = o.zone.namespace;
    this.pods = new WatchedCache<V1Pod>({
      kc: o.kubeConfig,
      path: `/api/v1/namespaces/${ns}/pods`,
      labelSelector: MANAGED_SELECTOR,
      clock: o.clock,
      log: o.log,
      what: `pods in ${ns}`,
      list: () => this.client.core.listNamespacedPod({ namespace: ns, labelSelector: MANAGED_SELECTOR }),
    });
    this.pods.onChange((_t, pod) => this.onPod(this.view(pod)));
    if (o.zone.spot) {
      this.nodes = new WatchedCache<V1Node>({
        kc: o.kubeConfig,
        path: '/api/v1/nodes',
        clock: o.clock,
        log: o.log,
        what: 'nodes',
        list: () => this.client.core.listNode(),
      });
      this.nodes.onChange(() => {
        for (const w of new Set([...this.entries.values()].map((e) => e.workload))) if (!this.busy.has(w)) this.checkExits(w);
      });
    }
    this.address = o.podAddress ?? podAddressOn(o.zone.enginePort);
    // the cluster's scheduler places pods, which fetch their model and are fenced by deploy/'s NetworkPolicy
    this.capabilities = {
      placement: 'platform',
      model: 'fetched-by-replica',
      engineKey: false,
      waitsForCapacity: true,
      defaultColdStartMs: LOCAL_COLD_START_MS + o.zone.nodeProvisioningSeconds * 1000,
    };
  }

  capacity(gpuType: string): number {
    const m = this.o.zone.gpuTypes[gpuType];
    return m ? (m.maxGpus ?? ELASTIC) : 0;
  }

  gpuTypeFor(requested: string | undefined, engine: string): string {
    const z = this.o.zone;
    const types = Object.keys(z.gpuTypes);
    const t = requested ?? (types.length === 1 ? types[0] : undefined);
    if (!t) throw invalid('gpuType', `is required in zone "${z.name}", which has ${types.join(', ')}`);
    if (!z.gpuTypes[t])
      throw new InferscaleError('insufficient_capacity', `gpuType: zone "${z.name}" has no ${t} GPUs (has: ${types.join(', ') || 'none'})`, {
        field: 'gpuType',
      });
    if (!z.images[engine])
      throw invalid('engine', `zone "${z.name}" has no image for the ${engine} engine (images for: ${Object.keys(z.images).join(', ') || 'none'})`);
    return t;
  }

  /** A fractional replica runs where the zone declares fractionalGpus and its memory fits (fractional.ts). */
  checkGpuMemory(gpuType: string, memoryMb: number): void {
    fractionalRequest(this.o.zone, gpuType, memoryMb);
  }

  gpuShare(gpuType: string, memoryMb: number): number {
    return fractionalRequest(this.o.zone, gpuType, memoryMb).gpus;
  }

  get zoneName(): string {
    return this.o.zone.name;
  }

  /** Starts the pod watch; resolves true once its first list arrived. */
  async init(timeoutMs = 10_000): Promise<boolean> {
    const [pods, nodes] = await Promise.all([this.pods.start(timeoutMs), this.nodes?.start(timeoutMs) ?? true]);
    return pods && nodes;
  }

  /** A pod as the provider sees it: on a node being reclaimed, it is disrupted (out of rotation). */
  private view(pod: V1Pod): PodView {
    const v = podView(pod);
    if (v.disrupted || !this.nodes || !v.nodeName) return v;
    return nodeReclaiming(this.nodes.get(v.nodeName)) ? { ...v, disrupted: true } : v;
  }

  async close(): Promise<void> {
    for (const t of this.fallbackTimers) t.cancel();
    this.fallbackTimers.clear();
    await this.pods.stop();
    await this.nodes?.stop();
  }

  async start(
    replicaId: string,
    deploymentName: string,
    driver: EngineDriver,
    launch: Parameters<ReplicaProvider['start']>[3],
    target?: ReplicaTarget,
  ): Promise<ReplicaHandle> {
    if (!target) throw new InferscaleError('internal', 'the Kubernetes provider needs the replica target (GPU type, drain timeout)');
    this.adopting = false;
    const capacity = this.capacityFor(deploymentName);
    const spec: WorkloadSpec = {
      name: deploymentName,
      driver,
      modelName: launch.modelName,
      engineParams: launch.engineParams,
      gpuType: target.gpuType,
      gpuCount: launch.gpuCount,
      drainTimeoutMs: target.drainTimeoutMs,
      labels: target.labels,
      replicas: 0,
      model: target.model,
      gpuMemoryMb: target.gpuMemoryMb,
    };
    const r = renderWorkload(this.o.zone, { ...spec, capacity });
    await this.locks.run(r.workload, async () => {
      await this.api.ensure(r);
      await this.api.assertSoleWriter(r.workload);
      this.entries.set(replicaId, {
        replicaId,
        deployment: deploymentName,
        workload: r.workload,
        seq: ++this.seq,
        requestedAt: this.o.clock.now(),
        capacity,
        spec,
      });
      try {
        await this.api.setScale(r.workload, this.wanted(r.workload));
      } catch (e) {
        this.entries.delete(replicaId);
        throw e;
      }
    });
    if (capacity) this.o.onCapacity?.(replicaId, deploymentName, capacity);
    if (capacity === 'spot' && this.o.capacityOf?.(deploymentName)?.capacity === 'mixed') {
      const t = this.o.clock.setTimeout(
        () => {
          this.fallbackTimers.delete(t);
          this.fallBack().catch((err) => this.o.log(`kubernetes: spot fallback for ${deploymentName} failed: ${apiMessage(err)}`));
        },
        this.o.zone.spot!.fallbackAfterSeconds * 1000 + 1000,
      );
      this.fallbackTimers.add(t);
    }
    this.queueBind();
    // the port is the engine's inside the pod; the gateway asks replicaUrl for the pod's address
    return { replicaId, pid: null, port: this.o.zone.enginePort, url: '' };
  }

  /**
   * The kind of node the deployment's next replica asks for (spot.ts chooseCapacity): undefined where the zone
   * declares no spot nodes or the deployment's capacity is not known.
   */
  private capacityFor(deployment: string): NodeCapacity | undefined {
    const spot = this.o.zone.spot;
    const spec = spot && this.o.capacityOf?.(deployment);
    if (!spot || !spec || rendersWithoutSpot(spot, spec.capacity)) return undefined;
    const mine = [...this.entries.values()].filter((e) => e.deployment === deployment && !e.removal);
    const now = this.o.clock.now();
    const short = mine.filter((e) => e.capacity === 'spot' && this.viewOf(e.replicaId)?.unschedulable).map((e) => e.requestedAt);
    return chooseCapacity({
      spec,
      onDemand: mine.filter((e) => e.capacity === 'on-demand').length,
      spot: mine.filter((e) => e.capacity === 'spot').length,
      spotShortSince: short.length ? Math.min(...short) : undefined,
      now,
      fallbackAfterMs: spot.fallbackAfterSeconds * 1000,
    });
  }

  /**
   * SkyServe's dynamic fallback for replicas already asked for: a spot replica of a mixed deployment still
   * without a node past the zone's bound moves to the on-demand workload (its pending pod goes through the
   * usual scale-down, an on-demand pod is asked for). Runs on a timer after each spot start; returns the
   * replicas moved.
   */
  async fallBack(): Promise<string[]> {
    const spot = this.o.zone.spot;
    if (!spot) return [];
    const now = this.o.clock.now();
    const moved: string[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.capacity !== 'spot' || e.removal || !e.spec || this.o.capacityOf?.(e.deployment)?.capacity !== 'mixed') continue;
      if (this.viewOf(e.replicaId)?.nodeName || now - e.requestedAt < spot.fallbackAfterSeconds * 1000) continue;
      const od = renderWorkload(this.o.zone, { ...e.spec, capacity: 'on-demand' });
      const from = { replicaId: e.replicaId, workload: e.workload, podName: e.podName };
      const waited = Math.round((now - e.requestedAt) / 1000);
      Object.assign(e, { workload: od.workload, capacity: 'on-demand', podName: undefined, requestedAt: now });
      await this.locks.run(from.workload, async () => {
        this.busy.add(from.workload);
        try {
          await scaleDownChoosing(this.port(), from, this.wanted(from.workload), this.o.scaleDownTimeoutMs ?? 60_000);
        } finally {
          this.busy.delete(from.workload);
        }
      });
      await this.locks.run(od.workload, async () => {
        await this.api.ensure(od);
        await this.api.setScale(od.workload, this.wanted(od.workload));
      });
      this.o.onCapacity?.(e.replicaId, e.deployment, 'on-demand');
      this.o.log(`kubernetes: replica ${e.replicaId} of ${e.deployment}: spot short for ${waited} s, asking for on-demand`);
      moved.push(e.replicaId);
    }
    this.queueBind();
    if (moved.length) this.later(spot.fallbackAfterSeconds * 1000, () => this.moveBackUntilDone());
    return moved;
  }

  private later(ms: number, fn: () => Promise<unknown>): void {
    const t = this.o.clock.setTimeout(() => {
      this.fallbackTimers.delete(t);
      fn().catch((err) => this.o.log(`kubernetes: spot rebalance failed: ${apiMessage(err)}`));
    }, ms);
    this.fallbackTimers.add(t);
  }

  /** Tries moveBack every bound while on-demand replicas above a mixed deployment's floor remain. */
  private async moveBackUntilDone(): Promise<void> {
    const bound = this.o.zone.spot!.fallbackAfterSeconds * 1000;
    await this.moveBack(bound);
    if (this.aboveFloor().length) this.later(bound, () => this.moveBackUntilDone());
  }

  /** On-demand replicas (bound to a pod) of mixed deployments above their floor: the ones spot may take back. */
  private aboveFloor(): Entry[] {
    const out: Entry[] = [];
    const seen = new Map<string, number>();
    for (const e of [...this.entries.values()].sort((a, b) => b.seq - a.seq)) {
      if (e.capacity !== 'on-demand' || e.removal || !e.spec || !e.podName) continue;
      const spec = this.o.capacityOf?.(e.deployment);
      if (spec?.capacity !== 'mixed') continue;
      const floor = spec.onDemandFloor;
      const onDemand = [...this.entries.values()].filter((x) => x.deployment === e.deployment && x.capacity === 'on-demand' && !x.removal).length;
      const taken = seen.get(e.deployment) ?? 0;
      if (onDemand - taken <= floor) continue;
      seen.set(e.deployment, taken + 1);
      out.push(e);
    }
    return out;
  }

  /**
   * Moves on-demand replicas of mixed deployments above their floor back to spot, without a gap: a spot pod is
   * asked for beside each; once it is ready the replica is bound to it (the gateway follows the binding) and its
   * on-demand pod is drained away through the usual scale-down. A spot pod not ready within `waitMs` is given
   * up (spot is still short). Returns the replicas moved.
   */
  async moveBack(waitMs: number): Promise<string[]> {
    const moved: string[] = [];
    for (const e of this.aboveFloor()) {
      const r = renderWorkload(this.o.zone, { ...e.spec!, capacity: 'spot' });
      const bump = (d: number) => {
        this.standby.set(r.workload, (this.standby.get(r.workload) ?? 0) + d);
        if (!this.standby.get(r.workload)) this.standby.delete(r.workload);
      };
      await this.locks.run(r.workload, async () => {
        await this.api.ensure(r);
        bump(1);
        await this.api.setScale(r.workload, this.wanted(r.workload));
      });
      const taken = new Set([...this.entries.values()].map((x) => x.podName));
      const pod = await this.waiters.until(
        () =>
          this.pods
            .list()
            .map((p) => this.view(p))
            .find((v) => v.workload === r.workload && isLive(v) && v.ready && !taken.has(v.name) && (!v.replicaId || !this.entries.has(v.replicaId))),
        waitMs,
      );
      bump(-1);
      if (!pod || e.removal || !this.entries.has(e.replicaId)) {
        await this.locks.run(r.workload, () => this.api.setScale(r.workload, this.wanted(r.workload)));
        continue;
      }
      const old = { replicaId: e.replicaId, workload: e.workload, podName: e.podName };
      Object.assign(e, { workload: r.workload, capacity: 'spot', podName: pod.name });
      await this.api.annotatePod(pod.name, { [ANNOTATION_REPLICA]: e.replicaId, [ANNOTATION_DELETION_COST]: null });
      await this.locks.run(old.workload, async () => {
        this.busy.add(old.workload);
        try {
          await scaleDownChoosing(this.port(), old, this.wanted(old.workload), this.o.scaleDownTimeoutMs ?? 60_000);
        } finally {
          this.busy.delete(old.workload);
        }
      });
      this.o.onCapacity?.(e.replicaId, e.deployment, 'spot');
      this.o.log(`kubernetes: replica ${e.replicaId} of ${e.deployment} moved back to spot (pod ${pod.name})`);
      moved.push(e.replicaId);
    }
    this.queueBind();
    return moved;
  }

  /** the bound pod's address: it changes when the replica is bound to another pod */
  replicaUrl(r: ReplicaAddress): string | undefined {
    const v = this.viewOf(r.replicaId);
    const t = v && isLive(v) ? this.address(v) : undefined;
    return t ? targetUrl(t) : undefined;
  }

  async probe(h: ReplicaHandle): Promise<ProbeResult> {
    const e = this.entries.get(h.replicaId);
    if (!e || e.removal) return 'gone';
    if (!e.podName) return 'starting';
    const v = this.viewOf(h.replicaId);
    if (!v || !isLive(v)) return 'gone';
    return v.ready ? 'ready' : 'starting';
  }

  describe(h: ReplicaHandle): string | undefined {
    const e = this.entries.get(h.replicaId);
    return e ? describePod(this.viewOf(h.replicaId), this.o.zone.provisioner, this.o.clock.now(), e.requestedAt) : undefined;
  }

  waitingForCapacity(h: ReplicaHandle): boolean {
    const e = this.entries.get(h.replicaId);
    if (!e || e.removal) return false;
    const v = this.viewOf(h.replicaId);
    return !v?.nodeName;
  }

  async stop(h: ReplicaHandle, _graceMs?: number): Promise<void> {
    const e = this.entries.get(h.replicaId);
    if (!e) return;
    e.removal ??= this.locks.run(e.workload, () => this.remove(e));
    await e.removal;
  }

  adopt(h: ReplicaHandle): boolean {
    const raw = this.pods.list().find((p) => {
      const v = this.view(p);
      return v.replicaId === h.replicaId && isLive(v);
    });
    if (!raw) return false;
    const pod = this.view(raw);
    const capacity = raw.metadata?.labels?.[LABEL_CAPACITY];
    this.entries.set(h.replicaId, {
      replicaId: h.replicaId,
      deployment: pod.deployment,
      workload: pod.workload,
      seq: ++this.seq,
      requestedAt: pod.createdAt,
      podName: pod.name,
      capacity: capacity === 'spot' || capacity === 'on-demand' ? capacity : undefined,
    });
    // a new leader (HA) or a restarted server: the ledger charges the adopted replica at its node's price
    if (capacity === 'spot' || capacity === 'on-demand') this.o.onCapacity?.(h.replicaId, pod.deployment, capacity);
    return true;
  }

  onExit(listener: (info: ExitInfo) => void): void {
    this.listeners.push(listener);
  }

  async logs(_deployment: string, replicaId: string, lines: number): Promise<string[]> {
    const pod =
      this.entries.get(replicaId)?.podName ??
      this.pods
        .list()
        .map((p) => this.view(p))
        .find((v) => v.replicaId === replicaId)?.name;
    return pod ? this.api.podLogs(pod, lines) : [];
  }

  async removeDeployment(deploymentName: string): Promise<void> {
    for (const e of [...this.entries.values()]) {
      if (e.deployment !== deploymentName) continue;
      this.entries.delete(e.replicaId);
    }
    await this.api.deleteAll(deploymentName);
  }

  /** Replicas the controller wants of a Kubernetes Deployment: its replica count. */
  private wanted(workload: string): number {
    let n = this.standby.get(workload) ?? 0;
    for (const e of this.entries.values()) if (e.workload === workload && !e.removal) n++;
    return n;
  }

  private viewOf(replicaId: string): PodView | undefined {
    const name = this.entries.get(replicaId)?.podName;
    const pod = name ? this.pods.get(name, this.o.zone.namespace) : undefined;
    return pod ? this.view(pod) : undefined;
  }

  private async remove(e: Entry): Promise<void> {
    this.busy.add(e.workload);
    try {
      const result = await scaleDownChoosing(this.port(), e, this.wanted(e.workload), this.o.scaleDownTimeoutMs ?? 60_000);
      this.scaleDowns.push(result);
      if (this.scaleDowns.length > 100) this.scaleDowns.shift();
      const siblings = [...this.entries.values()].filter((x) => x.deployment === e.deployment && x.workload !== e.workload && !x.removal);
      if (this.wanted(e.workload) === 0 && siblings.length > 0) await this.api.deleteWorkload(e.workload);
    } finally {
      this.entries.delete(e.replicaId);
      this.busy.delete(e.workload);
      this.checkExits(e.workload);
      this.queueBind();
    }
  }

  private port(): ScaleDownPort {
    const ns = this.o.zone.namespace;
    return {
      view: (name) => {
        const p = this.pods.get(name, ns);
        return p ? this.view(p) : undefined;
      },
      livePods: (w) =>
        this.pods
          .list()
          .map((p) => this.view(p))
          .filter((v) => v.workload === w && isLive(v)),
      replicaOfPod: (name) => [...this.entries.values()].find((x) => x.podName === name && !x.removal)?.replicaId,
      rebind: (name, replicaId) => {
        const x = replicaId ? this.entries.get(replicaId) : undefined;
        if (x) x.podName = name;
      },
      setScale: (w, n) => this.api.setScale(w, n),
      annotate: (name, a) => this.api.annotatePod(name, a),
      waitUntil: (cond, ms) => this.waiters.until(cond, ms),
      log: this.o.log,
    };
  }

  private onPod(v: PodView): void {
    if (v.replicaId && isLive(v)) {
      const e = this.entries.get(v.replicaId);
      if (e && !e.podName && e.workload === v.workload) e.podName = v.name;
    }
    if (!this.busy.has(v.workload)) this.checkExits(v.workload);
    this.queueBind();
    this.waiters.notify();
  }

  /** Replicas whose pod went (deleted, evicted, failed) end now: out of rotation at once. */
  private checkExits(workload: string): void {
    for (const e of [...this.entries.values()]) {
      if (e.workload !== workload || !e.podName || e.removal) continue;
      const v = this.viewOf(e.replicaId);
      if (v && isLive(v)) continue;
      this.entries.delete(e.replicaId);
      const why = !v
        ? 'pod deleted'
        : v.terminating
          ? 'pod terminating'
          : v.disrupted
            ? 'node being reclaimed (DisruptionTarget, a reclaim taint or NotReady)'
            : 'pod failed';
      for (const l of this.listeners) l({ replicaId: e.replicaId, code: null, signal: why });
    }
  }

  private queueBind(): void {
    if (this.bindQueued) return;
    this.bindQueued = true;
    queueMicrotask(() => {
      this.bindQueued = false;
      this.bindPods();
    });
  }

  /** Gives each replica waiting for a pod a free live pod of its Deployment: ready first, then scheduled, then oldest. */
  private bindPods(): void {
    if (this.adopting) return;
    const waiting = [...this.entries.values()].filter((e) => !e.podName && !e.removal && !this.busy.has(e.workload)).sort((a, b) => a.seq - b.seq);
    if (waiting.length === 0) return;
    for (const [e, pod] of choosePods(
      waiting,
      this.pods.list().map((p) => this.view(p)),
      [...this.entries.values()],
      (id) => this.entries.has(id),
    )) {
      e.podName = pod.name;
      this.api.annotatePod(pod.name, { [ANNOTATION_REPLICA]: e.replicaId, [ANNOTATION_DELETION_COST]: null }).catch((err) => {
        this.o.log(`kubernetes: cannot bind pod ${pod.name} to replica ${e.replicaId}: ${apiMessage(err)}`);
        if (e.podName === pod.name) e.podName = undefined;
      });
    }
  }
}
