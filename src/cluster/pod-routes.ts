/**
 * A gateway replica's view of a Kubernetes zone without a controller of its own: it watches the zone's
 * pods and feeds a route table with the ready pods bound to replicas (pods with a deletion timestamp leave
 * at once), so every gateway replica routes to the same pods the leader's controller made ready.
 * Deployment rows (name, key hash, limits) come from `deployments`: on a follower, the InferenceDeployment
 * mirror (crd.ts).
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import type { DeploymentRow } from '../store/store.js';
import type { RoutedReplica, RouteSink } from '../controller/reconciler.js';
import type { KubernetesZoneConfig } from '../zones/config.js';
import { KubeClient } from '../providers/kubernetes/client.js';
import { WatchedCache } from '../providers/kubernetes/informer.js';
import { MANAGED_SELECTOR } from '../providers/kubernetes/labels.js';
import { isLive, podAddressOn, podView, targetUrl, type PodView, type Target } from '../providers/kubernetes/pods.js';

export interface PodRoutesOptions {
  zone: KubernetesZoneConfig;
  kubeConfig: KubeConfig;
  clock: Clock;
  log: (line: string) => void;
  routes: RouteSink;
  /** the deployments to route (those of other zones are ignored) */
  deployments: () => readonly DeploymentRow[];
  podAddress?: (pod: PodView) => Target;
}

function replicaOf(d: DeploymentRow, v: PodView, t: NonNullable<Target>): RoutedReplica {
  return {
    id: v.replicaId!,
    deploymentId: d.id,
    state: v.ready ? 'ready' : 'starting',
    stateReason: '',
    gpus: [],
    pid: null,
    port: t.port,
    url: targetUrl(t),
    createdAt: v.createdAt,
    startedAt: v.createdAt,
    readyAt: null,
    stoppedAt: null,
    coldStartMs: null,
    generation: d.generation,
    exitInfo: '',
  };
}

export class PodRoutes {
  readonly pods: WatchedCache<V1Pod>;
  private readonly address: (pod: PodView) => Target;
  private readonly routed = new Set<string>();
  private syncing = false;
  private again = false;

  constructor(private readonly o: PodRoutesOptions) {
    const client = new KubeClient(o.kubeConfig, o.zone.namespace);
    const ns = o.zone.namespace;
    this.pods = new WatchedCache<V1Pod>({
      kc: o.kubeConfig,
      path: `/api/v1/namespaces/${ns}/pods`,
      labelSelector: MANAGED_SELECTOR,
      clock: o.clock,
      log: o.log,
      what: `pods in ${ns}`,
      list: () => client.core.listNamespacedPod({ namespace: ns, labelSelector: MANAGED_SELECTOR }),
    });
    this.pods.onChange(() => void this.sync());
    this.address = o.podAddress ?? podAddressOn(o.zone.enginePort);
  }

  async start(timeoutMs?: number): Promise<boolean> {
    const ok = await this.pods.start(timeoutMs);
    await this.sync();
    return ok;
  }

  /** Stops watching (the routes stay as they are: a new leader's controller takes them over). */
  async stop(): Promise<void> {
    await this.pods.stop();
  }

  /** Re-reads pods and deployments into the route table (coalesced). */
  async sync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again);
    } finally {
      this.syncing = false;
    }
  }

  private async syncOnce(): Promise<void> {
    const views = this.pods
      .list()
      .map(podView)
      .filter((v) => v.replicaId && isLive(v));
    const rows = this.o.deployments().filter((d) => d.zone === this.o.zone.name && !d.deleting);
    for (const d of rows) {
      const mine = views.filter((v) => v.deployment === d.name);
      const ready: RoutedReplica[] = [];
      for (const v of mine.filter((x) => x.ready)) {
        const t = this.address(v);
        if (t) ready.push(replicaOf(d, v, t));
      }
      this.o.routes.sync(d, ready, mine.length - ready.length);
      this.routed.add(d.id);
    }
    for (const id of [...this.routed]) {
      if (rows.some((d) => d.id === id)) continue;
      this.o.routes.remove(id);
      this.routed.delete(id);
    }
  }
}
