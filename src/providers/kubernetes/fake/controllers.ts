/**
 * The controllers a cluster runs, reduced to what inferscale depends on: Deployment -> ReplicaSet ->
 * pods (deleting in Kubernetes' documented order), a scheduler that honours node affinity, taints and
 * GPU allocatable, and a kubelet that starts pods, reports readiness and finishes terminating pods.
 * Nodes come and go through `addNode` (what Karpenter or the cluster autoscaler would do).
 */
import type { FakeCluster, KObj } from './cluster.js';
import { isPodReady, podsToDelete } from './deletion-order.js';
import { matchesSelector, nodeMatches, toleratesTaints } from '../selectors.js';
import { shortHash } from '../labels.js';

export interface FakeControllerOptions {
  /** running pods become ready once on their own (default true; a function picks which); else tests call setPodReady */
  autoReady?: boolean | ((pod: KObj) => boolean);
  /** terminating pods are removed on their own (default true); false: tests call finishPod */
  autoFinalize?: boolean;
  /** every pod gets this IP (e.g. 127.0.0.1, with one local engine on the zone's engine port); default 10.244.0.N */
  podIp?: string;
}

const GPU = 'nvidia.com/gpu';

/** The extended resources a pod asks for (nvidia.com/gpu, a shared GPU slice, a MIG profile, HAMi's gpumem): each its limit, else its request. */
function podResources(p: KObj): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of p.spec?.containers ?? []) {
    const r = { ...(c.resources?.requests ?? {}), ...(c.resources?.limits ?? {}) } as Record<string, string>;
    for (const [k, v] of Object.entries(r)) if (k.includes('/')) out.set(k, (out.get(k) ?? 0) + Number(v));
  }
  return out;
}

const owned = (o: KObj, uid: string | undefined) => !!uid && (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.controller);
const active = (p: KObj) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export class FakeControllers {
  private scheduled = false;
  private passes = 0;
  private podSeq = 0;
  private ipSeq = 0;
  private readonly waiters: (() => void)[] = [];
  /** pods the kubelet made ready once: a pod set not ready later stays so */
  private readonly readiedOnce = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly c: FakeCluster,
    private readonly o: FakeControllerOptions = {},
  ) {
    const onWrite = () => this.kick();
    c.afterWrite.add(onWrite);
    this.unsubscribe = () => c.afterWrite.delete(onWrite);
  }

  close(): void {
    this.unsubscribe();
  }

  /** Resolves once the controllers have nothing left to do. */
  idle(): Promise<void> {
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  addNode(
    name: string,
    labels: Record<string, string>,
    gpus: number,
    taints: { key: string; value?: string; effect: string }[] = [{ key: GPU, effect: 'NoSchedule' }],
    /** other extended resources the node offers, e.g. { 'nvidia.com/gpu.shared': 4 } (time-slicing) */
    extra: Record<string, number> = {},
  ): void {
    const more = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)]));
    this.c.create('nodes', undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
      spec: { taints },
      status: { allocatable: { [GPU]: String(gpus), ...more, cpu: '96', memory: '1Ti' }, capacity: { [GPU]: String(gpus), ...more } },
    });
  }

  setPodReady(namespace: string, name: string, ready: boolean): void {
    this.c.mutate('pods', namespace, name, (p) => setReady(p, ready, this.c.now()), 'status');
  }

  /** The kubelet finished a terminating pod (or, with `force`, any pod: a node died). */
  finishPod(namespace: string, name: string): void {
    this.c.finalize('pods', namespace, name);
  }

  private run(): void {
    this.scheduled = false;
    this.passes = 0;
    let before = -1;
    while (before !== this.c.resourceVersion && this.passes++ < 50) {
      before = this.c.resourceVersion;
      this.deployments();
      this.replicaSets();
      this.schedule();
      this.kubelet();
    }
    if (!this.scheduled) for (const w of this.waiters.splice(0)) w();
  }

  private deployments(): void {
    for (const d of this.c.list('deployments').items) {
      const ns = d.metadata.namespace;
      const hash = shortHash(d.spec.template).slice(0, 10);
      const rsName = `${d.metadata.name}-${hash}`;
      const desired = d.spec.replicas ?? 1;
      const sets = this.c.list('replicasets', ns).items.filter((rs) => owned(rs, d.metadata.uid));
      if (!sets.some((rs) => rs.metadata.name === rsName)) {
        const labels = { ...d.spec.template.metadata?.labels, 'pod-template-hash': hash };
        this.c.create('replicasets', ns, {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: rsName,
            namespace: ns,
            labels,
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid!, controller: true }],
          },
          spec: {
            replicas: desired,
            selector: { matchLabels: { ...d.spec.selector.matchLabels, 'pod-template-hash': hash } },
            template: { ...d.spec.template, metadata: { ...d.spec.template.metadata, labels } },
          },
        });
      }
      for (const rs of sets) {
        const want = rs.metadata.name === rsName ? desired : 0;
        if (rs.spec.replicas !== want) this.c.mutate('replicasets', ns, rs.metadata.name, (x) => void (x.spec.replicas = want));
      }
      const pods = this.c.list('pods', ns).items.filter((p) => active(p) && matchesSelector(d.spec.selector, p.metadata.labels));
      const status = {
        observedGeneration: d.metadata.generation,
        replicas: pods.length,
        updatedReplicas: pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash).length,
        readyReplicas: pods.filter(isPodReady).length,
        availableReplicas: pods.filter(isPodReady).length,
        unavailableReplicas: pods.filter((p) => !isPodReady(p)).length,
      };
      if (JSON.stringify(d.status ?? {}) !== JSON.stringify(status))
        this.c.mutate('deployments', ns, d.metadata.name, (x) => void (x.status = status), 'status');
    }
  }

  private replicaSets(): void {
    for (const rs of this.c.list('replicasets').items) {
      const ns = rs.metadata.namespace;
      const pods = this.c.list('pods', ns).items.filter((p) => owned(p, rs.metadata.uid) && active(p));
      const diff = pods.length - (rs.spec.replicas ?? 1);
      for (let i = 0; i < -diff; i++) this.createPod(rs);
      if (diff > 0) for (const p of podsToDelete(pods, diff)) this.c.delete('pods', ns, p.metadata.name);
      const status = {
        replicas: Math.max(pods.length, rs.spec.replicas),
        readyReplicas: pods.filter(isPodReady).length,
        observedGeneration: rs.metadata.generation,
      };
      if (JSON.stringify(rs.status ?? {}) !== JSON.stringify(status))
        this.c.mutate('replicasets', ns, rs.metadata.name, (x) => void (x.status = status), 'status');
    }
  }

  private createPod(rs: KObj): void {
    const t = rs.spec.template;
    const suffix = (++this.podSeq).toString(36).padStart(5, '0');
    this.c.create('pods', rs.metadata.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${rs.metadata.name}-${suffix}`,
        namespace: rs.metadata.namespace,
        labels: { ...t.metadata?.labels },
        annotations: t.metadata?.annotations ? { ...t.metadata.annotations } : undefined,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name, uid: rs.metadata.uid!, controller: true }],
      },
      spec: structuredClone(t.spec),
      status: { phase: 'Pending', conditions: [] },
    });
  }

  private schedule(): void {
    const nodes = this.c.list('nodes').items.filter((n) => !n.spec?.unschedulable);
    const pods = this.c.list('pods').items;
    const used = new Map<string, Map<string, number>>();
    const add = (node: string, want: Map<string, number>) => {
      const u = used.get(node) ?? new Map<string, number>();
      for (const [k, v] of want) u.set(k, (u.get(k) ?? 0) + v);
      used.set(node, u);
    };
    const fits = (n: KObj, want: Map<string, number>) =>
      [...want].every(([k, v]) => Number(n.status?.allocatable?.[k] ?? 0) - (used.get(n.metadata.name)?.get(k) ?? 0) >= v);
    for (const p of pods) if (p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') add(p.spec.nodeName, podResources(p));
    for (const p of pods) {
      if (p.spec?.nodeName || p.metadata.deletionTimestamp) continue;
      const want = podResources(p);
      const fit = nodes.find((n) => nodeMatches(p.spec, n.metadata.labels) && toleratesTaints(p.spec, n.spec?.taints ?? []) && fits(n, want));
      if (fit) {
        add(fit.metadata.name, want);
        this.c.mutate('pods', p.metadata.namespace, p.metadata.name, (x) => void (x.spec.nodeName = fit.metadata.name));
        this.c.mutate('pods', p.metadata.namespace, p.metadata.name, (x) => setCondition(x, 'PodScheduled', 'True', '', '', this.c.now()), 'status');
        continue;
      }
      const message = `0/${nodes.length} nodes are available: ${nodes.length === 0 ? 'no nodes' : `${nodes.length} node(s) didn't match Pod's node affinity/selector, had untolerated taints or had insufficient ${[...want.keys()].join(', ') || GPU}`}. preemption: 0/${nodes.length} nodes are available.`;
      this.c.mutate(
        'pods',
        p.metadata.namespace,
        p.metadata.name,
        (x) => setCondition(x, 'PodScheduled', 'False', 'Unschedulable', message, this.c.now()),
        'status',
      );
    }
  }

  private kubelet(): void {
    for (const p of this.c.list('pods').items) {
      const ns = p.metadata.namespace;
      if (p.metadata.deletionTimestamp) {
        if (this.o.autoFinalize !== false) this.c.finalize('pods', ns, p.metadata.name);
        continue;
      }
      if (!p.spec?.nodeName) continue;
      if (p.status?.phase === 'Pending') {
        const ip = this.o.podIp ?? `10.244.0.${++this.ipSeq}`;
        this.c.mutate(
          'pods',
          ns,
          p.metadata.name,
          (x) => {
            x.status.phase = 'Running';
            x.status.podIP = ip;
            x.status.podIPs = [{ ip }];
            x.status.startTime = new Date(this.c.now()).toISOString();
            x.status.containerStatuses = (x.spec.containers ?? []).map((c: { name: string; image: string }) => ({
              name: c.name,
              image: c.image,
              imageID: '',
              ready: false,
              restartCount: 0,
              started: true,
              state: { running: { startedAt: x.status.startTime } },
            }));
            setReady(x, false, this.c.now());
          },
          'status',
        );
        continue;
      }
      const auto = typeof this.o.autoReady === 'function' ? this.o.autoReady(p) : this.o.autoReady !== false;
      if (p.status?.phase === 'Running' && !isPodReady(p) && auto && !this.readiedOnce.has(p.metadata.uid!)) {
        this.readiedOnce.add(p.metadata.uid!);
        this.c.mutate('pods', ns, p.metadata.name, (x) => setReady(x, true, this.c.now()), 'status');
      }
    }
  }
}

function setCondition(p: KObj, type: string, status: string, reason: string, message: string, now: number): boolean {
  p.status = p.status ?? {};
  const conds: any[] = (p.status.conditions = p.status.conditions ?? []);
  const cur = conds.find((c) => c.type === type);
  if (cur && cur.status === status && (cur.reason ?? '') === reason && (cur.message ?? '') === message) return false;
  const next = {
    type,
    status,
    reason: reason || undefined,
    message: message || undefined,
    lastTransitionTime: cur?.status === status ? cur.lastTransitionTime : new Date(now).toISOString(),
  };
  if (cur) Object.assign(cur, next);
  else conds.push(next);
  return true;
}

function setReady(p: KObj, ready: boolean, now: number): boolean {
  const s = ready ? 'True' : 'False';
  const a = setCondition(p, 'Ready', s, ready ? '' : 'ContainersNotReady', '', now);
  const b = setCondition(p, 'ContainersReady', s, ready ? '' : 'ContainersNotReady', '', now);
  for (const c of p.status.containerStatuses ?? []) c.ready = ready;
  return a || b;
}
