/**
 * One of several inferscale server replicas on Kubernetes (`inferscale server --ha ZONE`). Every replica
 * serves the gateway; one leads, through a Lease in the zone's namespace, and only the leader runs the
 * controller and the autoscaler and writes the state.
 *
 * - Follower: routes to the ready pods it watches, for the deployments it reads from the cluster
 *   (InferenceDeployment resources and key Secrets, mirror.ts), passes REST API requests to the leader
 *   (proxy.ts), reports its gateway's load to the leader every second (signals.ts), and keeps a copy of
 *   the leader's metrics history, events, request log and cost ledger from the answers (copy.ts).
 * - Becoming leader: brings its SQLite file in line with the cluster (restore.ts), adopting running pods,
 *   then starts the controller (`lead`). The API answers `no_leader` until that is done.
 * - Leader: writes every change through to the cluster before the API answers, and the observed status
 *   every `mirrorPeriodMs`; adds the followers' reported load to its own gateway's.
 * - A leader that loses the Lease stops its controller at once and calls `onLostLeadership` (by default
 *   the process exits and Kubernetes restarts it as a follower, as client-go controllers do).
 */
import { hostname } from 'node:os';
import type { Clock, Timer } from '../core/clock.js';
import type { DeploymentRow, Store } from '../store/store.js';
import type { PodModel } from '../models/pod-fetch.js';
import type { RouteTable } from '../gateway/route-table.js';
import type { RequestLog, RequestRow } from '../gateway/request-log.js';
import { generateApiKey, hashKey, type KeyBox } from '../security/secrets.js';
import { apiMessage, MERGE_PATCH, type KubeClient } from '../providers/kubernetes/client.js';
import { LeaderElector } from './lease.js';
import { ClusterDeployments, DeploymentMirror, readClusterDeployments, readSettings, type MirrorHooks } from './mirror.js';
import type { SharedModel } from '../models/service.js';
import { PodRoutes } from './pod-routes.js';
import { podView, type PodView } from '../providers/kubernetes/pods.js';
import type { ZoneRegistry } from '../zones/registry.js';
import { applyRestore, planRestore } from './restore.js';
import { RemoteSignals, SignalReporter } from './signals.js';
import { CopySink, CopySource, type CopyBatch, type CopyCursor } from './copy.js';
import { ClusterMetrics } from './metrics.js';
import type { Registry } from 'prom-client';
import { LeaderTrust } from './leader-trust.js';
import { drainMarks, drainStartsByReplica, writeDrainMarks } from './drain-marks.js';
import { applyPrices, spotPriceTable, validSettings } from './settings.js';
import { CapacityStore } from '../service/capacity-store.js';
import { DEFAULT_CAPACITY, type NodeCapacity } from '../domain/capacity.js';
import { rendersWithoutSpot } from '../providers/kubernetes/spot.js';

/** how often a follower prunes its history copy by age (the leader's sampler prunes its own) */
const COPY_PRUNE_EVERY_MS = 10 * 60_000;

export const LEADER_URL_ANNOTATION = 'inferscale.dev/leader-url';
/** "true" on the leader's own pod: a Service for what only the leader serves (KEDA's scaler) selects it */
export const LEADER_LABEL = 'inferscale.dev/leader';

export interface HaOptions {
  /** the Kubernetes zone whose namespace holds the Lease and the shared state */
  zone: string;
  /** this replica's name (default: $POD_NAME, else the host name) */
  identity?: string;
  /** this replica's own pod in the zone's namespace, labelled while it leads (default: $POD_NAME; none: no label) */
  podName?: string;
  /** where the other replicas reach this one (default: $INFERSCALE_ADVERTISE_URL, else http://$POD_IP:PORT, else the listen URL) */
  advertiseUrl?: string;
  leaseName?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  mirrorPeriodMs?: number;
  /** what happens when this replica stops leading (default: exit with status 1 so that it restarts as a follower) */
  onLostLeadership?: () => void;
  /** the labels of the server pods: a Lease holder's pod must carry them before anything is sent to its URL (leader-trust.ts) */
  serverLabels?: Record<string, string>;
}

export type Role = 'follower' | 'becoming-leader' | 'leader' | 'stopped';

/** What a member reads and writes on this server, in named groups. */
export interface ClusterMemberDeps {
  base: { zones: ZoneRegistry; store: Store; clock: Clock; log: (line: string) => void };
  /** this server's gateway: its routes, its wakes (diverted to the leader while following), its request log and the /metrics registry */
  gateway: {
    routes: RouteTable;
    wakes: { divert(fn: (deploymentId: string) => void): () => void };
    /** a follower sends its rows to the leader, which keeps them for replay */
    requestLog: RequestLog;
    /** the Prometheus registry of /metrics (metrics.ts adds the HA metrics) */
    registry: Registry;
  };
  /** how the replicas reach each other */
  peers: {
    /** the credential of the servers' own calls to each other (derived from the server secret); never the admin token */
    internalToken: string;
    /** the URL this replica advertises to the others */
    url: string;
  };
  /** the leader gate: what leading starts and stops */
  leader: LeaderGate;
  /** the server state that goes to the cluster and that a new leader takes back */
  state: {
    /** seals API keys (a deployment whose key Secret is gone gets a new key) */
    keys: KeyBox;
    /** the model store: its catalog of URL models goes to the cluster, and a new leader adopts it */
    models: { sharedCatalog(): SharedModel[]; adoptShared(models: readonly SharedModel[]): string[] };
    /** GPU prices (`cost prices`): written to the cluster's settings, restored by a new leader */
    prices: { all(): Record<string, number>; set(gpuType: string, usdPerGpuHour: number | null): void };
    /** the cold-start estimate of a deployment (written to the cluster for followers' Retry-After) */
    coldStartMs: (deploymentId: string) => number;
    /** the model file pods of a deployment fetch (llamacpp), as the provider renders them */
    podModel: (d: DeploymentRow) => PodModel | undefined;
    /** what the leader does about resources created, edited or deleted in the cluster (edits.ts) */
    clusterChanges: MirrorHooks;
    /** drops metrics history past its retention (a follower's copy; copy.ts) */
    pruneHistory: (now: number) => void;
  };
  /** the cluster's deployments and the followers' reported load, made before the gateway (clusterView) */
  view: ClusterView;
}

/** Starts the controller, autoscaler and samplers (after a restore), and stops them. */
export interface LeaderGate {
  lead: () => Promise<void>;
  unlead: () => Promise<void>;
}

/** What the cluster says that the gateway reads from its start: the leader's deployments and the followers' load. */
export interface ClusterView {
  cluster: ClusterDeployments;
  signals: RemoteSignals;
}

/** The cluster view of an HA zone; `record` keeps the request log rows the followers report. */
export function clusterView(
  ha: HaOptions,
  zones: ZoneRegistry,
  clock: Clock,
  log: (line: string) => void,
  record: (rows: readonly RequestRow[]) => void,
): ClusterView {
  const z = zones.kubernetes(ha.zone);
  if (!z) throw new Error(`--ha ${ha.zone}: not a Kubernetes zone of the zones file (zones: ${zones.names().join(', ')})`);
  return { cluster: new ClusterDeployments(z.provider.client, clock, log), signals: new RemoteSignals(clock, record) };
}

export class ClusterMember {
  readonly identity: string;
  readonly signals: RemoteSignals;
  private readonly client: KubeClient;
  private readonly elector: LeaderElector;
  private readonly cluster: ClusterDeployments;
  private readonly podRoutes: PodRoutes[];
  private readonly reporter: SignalReporter;
  private readonly trust: LeaderTrust;
  private readonly mirror: DeploymentMirror;
  private role: Role = 'follower';
  private chain: Promise<void> = Promise.resolve();
  private mirrorTimer?: Timer;
  private transition: Promise<void> = Promise.resolve();
  private copySource?: CopySource;
  private readonly metrics: ClusterMetrics;
  private lastCopyPrune = 0;
  /** a follower: its gateway's request log rows go to the leader (divertRequest) */
  private diverting = false;

  constructor(
    private readonly o: HaOptions,
    private readonly d: ClusterMemberDeps,
  ) {
    const z = d.base.zones.kubernetes(o.zone);
    if (!z) throw new Error(`--ha ${o.zone}: not a Kubernetes zone of the zones file (zones: ${d.base.zones.names().join(', ')})`);
    this.client = z.provider.client;
    this.identity = o.identity ?? process.env.POD_NAME ?? hostname();
    this.signals = d.view.signals;
    const capacities = new CapacityStore(d.base.store.db);
    this.mirror = new DeploymentMirror(this.client, d.base.log, {
      now: () => d.base.clock.now(),
      secretSeen: (name) => !!this.cluster.secrets.get(name),
      capacityOf: (id) => capacities.get(id),
    });
    this.cluster = d.view.cluster;
    this.podRoutes = d.base.zones.names().flatMap((name) => {
      const k = d.base.zones.kubernetes(name);
      return k
        ? [
            new PodRoutes({
              zone: k.config,
              kubeConfig: k.provider.client.kc,
              clock: d.base.clock,
              log: (l) => d.base.log(`zone ${name}: ${l}`),
              routes: d.gateway.routes,
              deployments: () => this.cluster.rows(),
              podAddress: d.base.zones.podAddress,
            }),
          ]
        : [];
    });
    this.cluster.onChange(() => {
      if (this.role === 'follower') for (const p of this.podRoutes) void p.sync();
    });
    const sink = new CopySink(d.base.store.db, d.base.log);
    const copy = {
      cursor: () => sink.cursor(),
      apply: (batch: unknown) => {
        const more = sink.apply(batch);
        const now = d.base.clock.now();
        if (now - this.lastCopyPrune >= COPY_PRUNE_EVERY_MS) {
          this.lastCopyPrune = now;
          d.state.pruneHistory(now);
        }
        return more;
      },
    };
    this.metrics = new ClusterMetrics(d.gateway.registry, { leading: () => this.role === 'leader', gateways: () => this.signals.gateways() });
    this.trust = new LeaderTrust({ client: this.client, serverLabels: o.serverLabels, clock: d.base.clock, log: d.base.log });
    this.reporter = new SignalReporter({
      routes: d.gateway.routes,
      wakes: d.gateway.wakes,
      clock: d.base.clock,
      identity: this.identity,
      leaderUrl: () => this.trustedLeaderUrl(),
      internalToken: d.peers.internalToken,
      log: d.base.log,
      copy,
      onFailure: () => this.metrics.reportFailures.inc(),
    });
    this.elector = new LeaderElector({
      client: this.client,
      name: o.leaseName ?? 'inferscale-controller',
      identity: this.identity,
      clock: d.base.clock,
      log: d.base.log,
      leaseDurationMs: o.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs,
      retryPeriodMs: o.retryPeriodMs,
      annotations: { [LEADER_URL_ANNOTATION]: d.peers.url },
      onStartedLeading: () => (this.transition = this.transition.then(() => this.becomeLeader())),
      onStoppedLeading: () => (this.transition = this.transition.then(() => this.stopLeading())),
    });
  }

  get currentRole(): Role {
    return this.role;
  }

  /** The leader's side of a follower's history copy: the rows after its position (undefined unless leading). */
  serveCopy(gateway: string, cursor: CopyCursor): CopyBatch | undefined {
    const batch = this.role === 'leader' ? this.copySource?.serve(cursor) : undefined;
    if (batch) this.signals.copied(gateway, batch.left);
    return batch;
  }

  /** The leader's URL as the Lease says (this replica's own when it leads). */
  leaderUrl(): string | undefined {
    if (this.elector.isLeader) return this.d.peers.url;
    return this.elector.holder ? this.elector.annotation(LEADER_URL_ANNOTATION) : undefined;
  }

  /**
   * The leader's URL once it is shown to be a server pod's (leader-trust.ts): the only URL a follower sends a
   * client's call or its own reports to. Undefined while that is not (yet) shown.
   */
  trustedLeaderUrl(): string | undefined {
    if (this.elector.isLeader) return this.d.peers.url;
    const url = this.leaderUrl();
    return url ? this.trust.trusted(this.elector.holder, url) : undefined;
  }

  /** The same, waiting for the check of a leader not judged yet (a client's call right after a failover). */
  async verifiedLeaderUrl(): Promise<string | undefined> {
    if (this.elector.isLeader) return this.d.peers.url;
    const url = this.leaderUrl();
    return url ? this.trust.verified(this.elector.holder, url) : undefined;
  }

  /** Starts as a follower and joins the election. */
  async start(syncTimeoutMs = 10_000): Promise<void> {
    await this.markPod(false);
    await this.cluster.start(syncTimeoutMs);
    await Promise.all(this.podRoutes.map((p) => p.start(syncTimeoutMs)));
    this.reporter.start();
    this.diverting = true;
    await this.elector.start();
  }

  /**
   * A request log row of this gateway (RequestLog's `divert`, through the mode): a follower sends it to the
   * leader with its next load report (true); from the moment it becomes the leader it keeps it (false).
   */
  divertRequest(row: RequestRow): boolean {
    if (!this.diverting) return false;
    this.reporter.addRequest(row);
    return true;
  }

  /** Writes the state to the cluster (after every change the API makes; serialized). No-op unless leading. */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.writeState());
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    this.mirrorTimer?.cancel();
    const wasLeading = this.role === 'leader';
    // the last write happens while still leading (writeState is a no-op otherwise)
    if (wasLeading) await this.flush().catch((e: Error) => this.d.base.log(`cluster: last write of the state failed: ${e.message}`));
    this.role = 'stopped';
    if (wasLeading) await this.markPod(false);
    await this.elector.stop(true);
    await this.transition;
    await this.reporter.stop();
    await Promise.all(this.podRoutes.map((p) => p.stop()));
    await this.cluster.stop();
  }

  private async writeState(): Promise<void> {
    if (this.role !== 'leader' || !this.elector.isLeader) return;
    const { store } = this.d.base;
    await this.mirror.sync(store.listDeployments(), (id) => store.listReplicas(id, ['ready']).length, this.d.state.coldStartMs, this.d.state.clusterChanges);
    await this.mirror.syncSettings({
      quotas: store.getQuotas(),
      models: this.d.state.models.sharedCatalog(),
      prices: this.d.state.prices.all(),
      spotPrices: new CapacityStore(store.db).spotPrices(),
    });
    await this.markDrains();
  }

  /** Writes each draining replica's drain start on its pod, where a new leader finds it (drain-marks.ts). */
  private async markDrains(): Promise<void> {
    const { store, zones, log } = this.d.base;
    const draining = store.listLiveReplicas().filter((r) => r.state === 'draining');
    if (!draining.length) return;
    for (const name of zones.names()) {
      const k = zones.kubernetes(name);
      if (!k) continue;
      await writeDrainMarks(k.provider.client, drainMarks(k.provider.pods.list(), draining), log);
    }
  }

  private async becomeLeader(): Promise<void> {
    if (this.role !== 'follower') return;
    this.role = 'becoming-leader';
    try {
      await this.reporter.stop();
      this.diverting = false;
      this.d.gateway.requestLog.pushRows(this.reporter.takeRequests());
      await Promise.all(this.podRoutes.map((p) => p.stop()));
      // before this replica writes anything: its history copy ends here, its own rows number after it
      this.copySource = new CopySource(this.d.base.store.db, `${this.identity}@${this.d.base.clock.now()}`);
      await this.restore();
      if (!this.elector.isLeader || (this.role as Role) !== 'becoming-leader') return;
      await this.d.leader.lead();
      await this.markPod(true);
      this.role = 'leader';
      this.metrics.becameLeader.inc();
      this.d.base.log(`cluster: ${this.identity} leads: controller and autoscaler started`);
      await this.flush();
      this.scheduleMirror();
    } catch (e) {
      this.d.base.log(`cluster: could not take over as leader: ${(e as Error).stack ?? e}`);
      await this.stopLeading();
    }
  }

  private async stopLeading(): Promise<void> {
    if (this.role === 'stopped' || this.role === 'follower') return;
    this.mirrorTimer?.cancel();
    this.role = 'stopped';
    await this.d.leader.unlead();
    await this.markPod(false);
    this.d.base.log(`cluster: ${this.identity} stopped leading; its controller is stopped`);
    (this.o.onLostLeadership ?? (() => process.exit(1)))();
  }

  /** Sets the leader label on this replica's pod (errors are logged: the label only steers the KEDA Service). */
  private async markPod(leading: boolean): Promise<void> {
    const name = this.o.podName ?? process.env.POD_NAME;
    if (!name) return;
    try {
      await this.client.core.patchNamespacedPod(
        { name, namespace: this.client.namespace, body: { metadata: { labels: { [LEADER_LABEL]: String(leading) } } } },
        MERGE_PATCH,
      );
    } catch (e) {
      this.d.base.log(`cluster: cannot label pod ${name} ${LEADER_LABEL}=${leading}: ${apiMessage(e)}`);
    }
  }

  private scheduleMirror(): void {
    this.mirrorTimer = this.d.base.clock.setTimeout(() => {
      void this.flush()
        .catch((e: Error) => this.d.base.log(`cluster: writing the state failed (${e.message}); retrying`))
        .finally(() => this.role === 'leader' && this.scheduleMirror());
    }, this.o.mirrorPeriodMs ?? 2_000);
  }

  private async restore(): Promise<void> {
    const { store, zones, clock } = this.d.base;
    const { rows, names, rekeyed } = await readClusterDeployments(this.client, () => {
      const key = generateApiKey();
      return { hash: hashKey(key), sealed: this.d.state.keys.seal(key) };
    });
    for (const name of rekeyed)
      this.d.base.log(`cluster: the key Secret of deployment ${name} was missing: it has a new API key (inferscale deployment reveal-api-key ${name})`);
    const settings = validSettings(await readSettings(this.client, this.d.base.log), this.d.base.log);
    applyPrices(settings, this.d.state.prices, spotPriceTable(new CapacityStore(store.db)));
    const pods = new Map<string, PodView[]>();
    const enginePorts = new Map<string, number>();
    const drainStarts = new Map<string, number>();
    for (const name of zones.names()) {
      const k = zones.kubernetes(name);
      if (!k) continue;
      const listed = k.provider.pods.list();
      pods.set(name, listed.map(podView));
      for (const [replicaId, at] of drainStartsByReplica(listed)) drainStarts.set(replicaId, at);
      enginePorts.set(name, k.config.enginePort);
    }
    const capacities = new CapacityStore(store.db);
    const deployments = store.listDeployments().map((x) => ({ ...x, capacity: capacities.get(x.id) }));
    const local = { deployments, liveReplicaIds: new Set(store.listLiveReplicas().map((r) => r.id)), quotas: store.getQuotas() };
    // models first: the render of a llamacpp deployment's pods needs its model's URL and hash
    const adopted = this.d.state.models.adoptShared(settings.models);
    if (adopted.length) this.d.base.log(`cluster: took over model(s) ${adopted.join(', ')} from the cluster catalog; fetching local copies`);
    const { renderDeployment } = await import('../zones/export.js');
    const plan = planRestore(
      local,
      { deployments: rows, resourceNames: names, quotas: settings.quotas, pods, enginePorts, drainStarts },
      (dep) => {
        const z = zones.kubernetes(dep.zone)?.config;
        if (!z) return [];
        const capacity = dep.capacity ?? DEFAULT_CAPACITY;
        // a deployment that uses spot runs one template per kind of node (export.ts); others one
        const kinds: (NodeCapacity | undefined)[] = rendersWithoutSpot(z.spot, capacity.capacity)
          ? [undefined]
          : capacity.capacity === 'mixed'
            ? ['on-demand', 'spot']
            : [capacity.capacity];
        try {
          return kinds.map((kind) => renderDeployment(z, dep, this.d.state.podModel(dep), kind && { capacity: kind, replicas: 0 }).workload);
        } catch {
          return []; // its model is gone: its pods count as an older template and are rolled
        }
      },
      clock.now(),
    );
    await applyRestore(plan, {
      store,
      identity: this.identity,
      now: clock.now(),
      log: this.d.base.log,
      removeOrphan: async (zone, deployment) => zones.kubernetes(zone)?.provider.removeDeployment(deployment),
    });
  }
}
