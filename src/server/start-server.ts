import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataDirLock } from './data-dir-lock.js';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { systemClock, type Clock } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import { gatewayLimits, httpLimits, type GatewayLimits, type HttpLimits } from '../domain/limits.js';
import { dataFiles } from '../config/paths.js';
import { openDb, type Db, type Migrations } from '../store/db.js';
import { SCHEMA } from '../store/schema.js';
import { StorageStatus } from '../store/storage-status.js';
import { Store, type DeploymentRow } from '../store/store.js';
import { KeyBox, generateToken, readOrCreateSecretFile } from '../security/secrets.js';
import { defaultSleepRamBytes } from '../controller/sleepers.js';
import { sleepTier } from '../controller/policy-input.js';
import { detectNvidiaGpus, virtualGpus, type GpuDevice } from '../placement/inventory.js';
import type { PackingPolicy } from '../placement/placement.js';
import { LocalProvider } from '../providers/local/provider.js';
import { Reconciler } from '../controller/reconciler.js';
import { RouteTable } from '../gateway/route-table.js';
import { WakeFanOut } from '../gateway/wake.js';
import { EngineScraper } from '../gateway/engine-scraper.js';
import { Gateway } from '../gateway/gateway.js';
import { gatewayTracerFromEnv } from '../gateway/tracing.js';
import { RequestLog } from '../gateway/request-log.js';
import { mountRequestLogRoutes } from '../api/request-log-routes.js';
import { DeploymentService } from '../service/deployments.js';
import { createApi } from '../api/app.js';
import { AutoscalerLoop, cachedDemand } from '../controller/autoscaler-loop.js';
import { createObservability, type Observability } from '../dashboard/mount.js';
import { ModelService } from '../models/service.js';
import { mountModelRoutes } from '../models/models-api.js';
import { ZoneRegistry, type ZoneRegistryOptions } from '../zones/registry.js';
import { CapacityLink } from '../service/capacity-link.js';
import { CapacityStore, onDemandFloor } from '../service/capacity-store.js';
import { mountZoneRoutes } from '../zones/zones-api.js';
import { mountClusterRoutes } from '../cluster/cluster-api.js';
import { applySpecEdit, applySpecResource, deleteFromCluster } from '../cluster/edits.js';
import { forgetDeployment } from '../cluster/copy.js';
import { createHandler } from './handler.js';
import { createLimitedServer } from './http-limits.js';
import { coldStartEstimate } from './cold-start.js';
import { haMode, singleServerMode, type MemberServices } from './mode.js';
import { ModuleGroup, type ServerModule } from './modules.js';
import { LiveKedaSource } from '../keda/source.js';
import type { KedaScalerServer } from '../keda/grpc-server.js';
import { checkScalerTls, type KedaTlsOptions } from '../keda/tls.js';
import type { ClusterMember, HaOptions } from '../cluster/member.js';
import { mountShutdownRoute, type OnExit } from './shutdown-route.js';
import { stopLocalReplicas } from './stop-replicas.js';

/** the longest a replica is given to finish what it holds when the server stops it on the way out */
const EXIT_GRACE_MS = 30_000;

export interface ServerOptions {
  host?: string;
  port?: number;
  dataDir: string;
  /** virtual GPU slots to offer; default: detected NVIDIA GPUs, else 8 virtual ones */
  virtualGpus?: number;
  virtualGpuType?: string;
  /** memory of each virtual GPU, MiB (0 or absent: unknown, no fractional replicas); and how fractional replicas are packed */
  virtualGpuMemoryMb?: number;
  packing?: PackingPolicy;
  clock?: Clock;
  log?: (line: string) => void;
  /** stop every replica process when the server stops (default: leave them for the next server to adopt) */
  stopReplicasOnExit?: boolean;
  /** `POST /api/v1/server/shutdown` asks the program running the server to stop it (absent, or in HA mode: refused) */
  onShutdownRequest?: (replicas: OnExit) => void;
  /** reconcile period, ms */
  tickMs?: number;
  /** host RAM sleeping replicas may hold together (default: DEFAULT_SLEEP_RAM_SHARE of this machine's) */
  sleepRamBytes?: number;
  /** the zones file (Kubernetes zones); default $INFERSCALE_ZONES; none: only `local` */
  zonesFile?: string;
  /** zones given directly (tests: a parsed file, a kubeconfig per zone, pod addresses) */
  zones?: Pick<ZoneRegistryOptions, 'file' | 'kubeConfigFor' | 'podAddress'>;
  /** serve KEDA's external scaler gRPC protocol on this port (0: any free port; undefined: off). In HA mode only the leader serves it. */
  kedaPort?: number;
  /** TLS for the KEDA scaler (src/keda/tls.ts) */
  kedaTls?: KedaTlsOptions;
  /** one of several server replicas on Kubernetes: the state lives in the cluster, a Lease picks the controller (src/cluster) */
  ha?: HaOptions;
  /** how long a client may take to send a request, and how many connections are kept (src/server/http-limits.ts) */
  http?: Partial<HttpLimits>;
  /** request body sizes and upstream timeouts of the gateway (src/gateway/gateway.ts) */
  gateway?: Partial<GatewayLimits>;
  /** opens the SQLite file (default `openDb`; tests: a wrapper that fails writes as a full disk would) */
  openDb?: (path: string, migrations: Migrations) => Db;
  /** the largest model file the model store downloads or copies, bytes (default 256 GiB) */
  maxModelBytes?: number;
  /** /metrics answers only this bearer token (default: open) */
  metricsToken?: string;
  /** model sources on link-local or cloud-metadata addresses are taken (default: refused) */
  allowPrivateSources?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  adminToken: string;
  store: Store;
  deployments: DeploymentService;
  reconciler: Reconciler;
  routes: RouteTable;
  autoscaler: AutoscalerLoop;
  inventory: GpuDevice[];
  /** metrics history, its 1 s sampler, cost attribution (src/dashboard/mount.ts) */
  observability: Observability;
  /** the model store (src/models) */
  models: ModelService;
  /** whether the disk filled and the periodic writers are failing (src/store/storage-status.ts) */
  storage: StorageStatus;
  /** where replicas run: local and the Kubernetes zones (src/zones) */
  zones: ZoneRegistry;
  /** the REST API's Hono app (its routes: the OpenAPI coverage test) */
  api: Hono;
  /** HA mode: this replica's part in the cluster (role, leader, reported signals) */
  member?: ClusterMember;
  /** the cold-start estimate of a deployment, ms: the one function the gateway's Retry-After, the autoscaler and the HA mirror read */
  coldStartMs: (deploymentId: string) => number;
  /** the KEDA external scaler's port while it is served (src/keda) */
  kedaPort(): number | undefined;
  /** `stopReplicas`: drain and stop the replicas too (default: the server's `stopReplicasOnExit`) */
  close(o?: { stopReplicas?: boolean }): Promise<void>;
}

/**
 * Starts a server on a data dir, which it locks (a second server on the same dir fails with a message
 * naming the first: data-dir-lock.ts).
 */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const log = o.log ?? ((l: string) => console.log(`${new Date().toISOString()} ${l}`));
  if (o.kedaTls) checkScalerTls(o.kedaTls);
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const lock = DataDirLock.acquire(o.dataDir, { log });
  try {
    return await startLocked(o, log, lock);
  } catch (e) {
    lock.release();
    throw e;
  }
}

async function startLocked(o: ServerOptions, log: (line: string) => void, lock: DataDirLock): Promise<RunningServer> {
  const clock = o.clock ?? systemClock;
  const files = dataFiles(o.dataDir);
  const limits = { http: httpLimits(o.http), gateway: gatewayLimits(o.gateway) };
  const inventory = await gpuInventory(o, log);
  const provider = new LocalProvider({ clock, logDir: files.logs, owner: resolve(o.dataDir), inventory });
  const capacity = new CapacityLink();
  const zones = await ZoneRegistry.open({ path: o.zonesFile ?? process.env.INFERSCALE_ZONES, clock, log, inventory, local: provider, capacity, ...o.zones });
  const { adminToken, keys } = await serverSecrets(o, zones, files);
  // the servers' calls to each other (HA: a follower's load reports): the same on every replica, never the admin token
  const internalToken = `isi-${keys.derive('internal-token')}`;
  if (o.ha) zones.useHaZone(o.ha.zone);
  const store = new Store((o.openDb ?? openDb)(files.db, SCHEMA));
  capacity.connect(store);
  const storage = new StorageStatus({
    clock,
    log,
    probe: () => store.setSetting('storage_probe', String(clock.now())),
  });
  const mode = o.ha ? await haMode(o.ha, { zones, clock, log }) : singleServerMode();
  // HA: a follower's rows go to the leader, the leader writes the followers' rows at once (mode.requestLog)
  const requestLog = new RequestLog(store.db, clock, storage, mode.requestLog);
  // measured cold starts, else the zone's default (Kubernetes zones add node provisioning); a follower takes the leader's
  const coldStartMs = coldStartEstimate({ store, zoneDefaultMs: (zone) => zones.defaultColdStartMs(zone), clusterMs: (id) => mode.clusterColdStartMs(id) });
  // a request held at zero: the autoscaler decides now, and KEDA's StreamIsActive hears of it now
  const wakes = new WakeFanOut();
  const engineKey = (replicaId: string) => `ise-${keys.derive(`engine-key:${replicaId}`)}`;
  // a deployment whose replicas sleep is a wake away: its held requests are told the measured wake (policy-input.ts)
  const wakeMs = (id: string) => sleepTier(store.listReplicas(id), true, coldStartMs(id)).wakeMs ?? coldStartMs(id);
  const routes = new RouteTable(clock, { engineKey, wake: wakes.wake, coldStartMs, wakeMs });
  const metrics = routes.metrics;
  let baseUrl = '';
  const models = new ModelService({
    db: store.db,
    clock,
    dataDir: o.dataDir,
    keys,
    deployments: () => store.listDeployments(),
    log,
    maxModelBytes: o.maxModelBytes,
    allowPrivateSources: o.allowPrivateSources,
  });
  const podModel = (d: DeploymentRow) => models.podModel(d.engine, d.modelName);
  const capacities = new CapacityStore(store.db);
  const reconciler = new Reconciler({
    store,
    storage,
    providers: zones.providers(),
    clock,
    inventory,
    routes,
    log,
    tickMs: o.tickMs,
    packing: o.packing,
    engineKey,
    modelPath: (d) => models.launchPath(d.engine, d.modelName),
    sleepRamBytes: o.sleepRamBytes ?? defaultSleepRamBytes(),
    onDeleted: (d) => {
      requestLog.flush();
      forgetDeployment(store.db, d.id, clock.now());
    },
    podModel,
    onDemandFloor: (id) => onDemandFloor(capacities, id),
  });
  const deployments = new DeploymentService({
    store,
    clock,
    inventory,
    keys,
    provider,
    baseUrl: () => baseUrl,
    kick: () => reconciler.kick(),
    models,
    zones,
    keyChanged: (d) => routes.setKeys(d),
    engineSignals: (name, replicaId) => routes.get(name)?.replicas.get(replicaId)?.engine,
  });
  // the engines' own load (running, waiting, KV cache) from each ready replica's /metrics, every 2 s
  const engineScraper = new EngineScraper({ clock, replicas: () => routes.replicas() });
  const tracer = gatewayTracerFromEnv(process.env);
  const gateway = new Gateway({ routes, clock, requestLog, limits: limits.gateway, tracer });
  const observability = createObservability({
    store,
    storage,
    routes,
    metrics,
    clock,
    inventory,
    log,
    remote: (id) => mode.takeRemote(id),
    gpusPerReplica: (d) => deployments.gpusPerReplica(d),
  });
  const autoscaler = new AutoscalerLoop({
    store,
    routes,
    deployments,
    clock,
    log,
    coldStartMs,
    remote: (id) => mode.remoteLoad(id),
    samples: observability.sampler,
    demand: cachedDemand((id, since) => observability.history.demandHistory(id, since)),
  });
  const keda = new LiveKedaSource({ store, routes, remote: (id) => mode.remoteLoad(id) });
  observability.sampler.onSample((id) => keda.changed(id));
  wakes.subscribe((id) => autoscaler.wake(id));
  wakes.subscribe((id) => keda.changed(id));
  const memberServices = (): MemberServices => ({
    base: { zones, store, clock, log },
    gateway: { routes, wakes, requestLog, registry: metrics.registry },
    peers: { internalToken, url: o.ha ? advertiseUrl(o.ha, port, baseUrl) : baseUrl },
    state: {
      keys,
      models,
      podModel,
      coldStartMs,
      prices: { all: () => observability.cost.ledger.prices(), set: (gpuType, usd) => observability.cost.ledger.setPrice(gpuType, usd) },
      clusterChanges: {
        onEdit: (d, edit) => applySpecEdit({ deployments, store }, d, edit, clock.now()),
        onApply: (r) => applySpecResource({ deployments, store }, r, clock.now()),
        onDelete: (d) => deleteFromCluster({ deployments, store }, d, clock.now()),
      },
      pruneHistory: (now) => observability.history.prune(now),
    },
  });
  const kedaScaler = o.kedaPort === undefined ? undefined : kedaModule(o, o.kedaPort, keda, log);
  // what leading starts and stops, in this order (stopped in reverse): the controller, the samplers, the downloads and the KEDA scaler
  const leading = new ModuleGroup(
    [
      {
        name: 'orphan sweep',
        // replica processes of this data dir that no live row owns (a crash between spawn and saving the pid)
        start: async () => {
          const live = new Map(store.listLiveReplicas().map((r) => [r.id, r.pid]));
          // sleeping replicas keep their processes too: adopted by the reconciler, not swept
          for (const d of store.listDeployments()) for (const r of store.listReplicas(d.id, ['sleeping'])) live.set(r.id, r.pid);
          for (const x of await provider.sweepOrphans((id, pid) => live.get(id) === pid, 5000)) {
            log(`stopped orphan replica process ${x.pid} (${x.replicaId}): no live replica row owns it`);
          }
        },
        stop: () => undefined,
      },
      { name: 'reconciler', start: () => reconciler.start(), stop: () => reconciler.stop() },
      { name: 'observability', routes: observability.routes, start: () => observability.start(), stop: () => observability.stop() },
      { name: 'engine scraper', start: () => engineScraper.start(), stop: () => engineScraper.stop() },
      // downloads interrupted by a restart or a failover resume on the leader; stopping leaves them to resume there
      { name: 'model downloads', routes: (app) => mountModelRoutes(app, models), start: () => models.resumeInterrupted(), stop: () => models.close() },
      ...(kedaScaler ? [kedaScaler] : []),
    ],
    log,
  );
  // what runs while the server runs, in this order (stopped in reverse); the last one is the leader gate
  const serving = new ModuleGroup(
    [
      { name: 'storage status', start: () => undefined, stop: () => storage.stop() },
      {
        name: 'zones',
        routes: (app) => mountZoneRoutes(app, zones, deployments, podModel),
        start: () => undefined,
        stop: async () => {
          provider.close();
          await zones.close();
        },
      },
      {
        name: 'request log',
        routes: (app) => mountRequestLogRoutes(app, { requestLog, deployments, clock }),
        start: () => requestLog.start(),
        stop: async () => {
          requestLog.stop();
          // the spans of the last requests are exported before the server goes
          await tracer?.shutdown();
        },
      },
      {
        name: o.ha ? 'cluster member' : 'leader',
        routes: (app) =>
          mountClusterRoutes(
            app,
            () => mode.member(),
            wakes.wake,
            () => ({ identity: hostname(), url: baseUrl }),
          ),
        start: () => mode.run({ lead: () => leading.start(), unlead: () => leading.stop() }, memberServices()),
        // HA: the member stops leading as it closes; alone: the leading modules stop here
        stop: async () => {
          await mode.close();
          await leading.stop();
        },
      },
    ],
    log,
  );
  const api = createApi({
    deployments,
    store,
    adminToken,
    internalToken,
    inventory,
    autoscaler,
    afterWrite: mode.afterWrite,
    routes: [
      ...serving.routes(),
      ...leading.routes(),
      (app) => mountShutdownRoute(app, o.ha ? undefined : o.onShutdownRequest, () => store.listLiveReplicas().filter((r) => r.port !== null).length),
    ],
  });
  const apiListener = getRequestListener(api.fetch);

  let started = false;
  const handler = createHandler({
    gateway,
    api: apiListener,
    metrics,
    observability,
    member: () => mode.member(),
    started: () => started,
    storage: () => storage.view(),
    metricsToken: o.metricsToken,
  });

  const server: Server = createLimitedServer(handler, limits.http);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const host = o.host ?? '127.0.0.1';
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  writeFileSync(files.serverInfo, `${JSON.stringify({ url: baseUrl, pid: process.pid })}\n`, { mode: 0o600 });
  lock.listening(baseUrl, port);
  await serving.start();
  started = true;
  log(`inferscale listening on ${baseUrl} (data dir ${o.dataDir}, ${inventory.length} x ${[...new Set(inventory.map((g) => g.type))].join(', ')} GPUs)`);

  return {
    url: baseUrl,
    port,
    adminToken,
    store,
    deployments,
    reconciler,
    routes,
    autoscaler,
    inventory,
    observability,
    models,
    storage,
    zones,
    api,
    member: mode.member(),
    coldStartMs,
    kedaPort: () => kedaScaler?.port(),
    async close(closeOpts) {
      await serving.stop();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (closeOpts?.stopReplicas ?? o.stopReplicasOnExit)
        await stopLocalReplicas(store, provider, { maxGraceMs: EXIT_GRACE_MS, now: () => clock.now(), why: 'the server stopped with its replicas' });
      await routes.close();
      store.db.close();
      lock.release();
    },
  };
}

/** The KEDA external scaler (gRPC) as a leading module: only the leader serves it. */
function kedaModule(o: ServerOptions, port: number, source: LiveKedaSource, log: (line: string) => void): ServerModule & { port(): number | undefined } {
  let server: KedaScalerServer | undefined;
  return {
    name: 'KEDA scaler',
    port: () => server?.port,
    start: async () => {
      const { startKedaScaler } = await import('../keda/grpc-server.js');
      server = await startKedaScaler({ host: o.host ?? '127.0.0.1', port, source, log, tls: o.kedaTls });
    },
    stop: async () => {
      const s = server;
      server = undefined;
      await s?.close();
      server = undefined;
    },
  };
}

/** Where the other replicas reach this one: as given, else $INFERSCALE_ADVERTISE_URL, else the pod's IP, else the listen URL. */
function advertiseUrl(ha: HaOptions, port: number, baseUrl: string): string {
  return ha.advertiseUrl ?? process.env.INFERSCALE_ADVERTISE_URL ?? (process.env.POD_IP ? `http://${process.env.POD_IP}:${port}` : baseUrl);
}

/** GPUs to offer: as given, else the detected NVIDIA GPUs, else 8 virtual ones. */
async function gpuInventory(o: ServerOptions, log: (line: string) => void): Promise<GpuDevice[]> {
  if (o.virtualGpus !== undefined) return virtualGpus(o.virtualGpus, o.virtualGpuType ?? 'vgpu', o.virtualGpuMemoryMb);
  const found = await detectNvidiaGpus();
  if (found.length) return found;
  log('no NVIDIA GPU found: offering 8 virtual GPUs of type "vgpu" (set --virtual-gpus N --virtual-gpu-type NAME)');
  return virtualGpus(8, o.virtualGpuType ?? 'vgpu', o.virtualGpuMemoryMb);
}

/**
 * The admin token and the key that seals API keys: files in the data dir, or in HA mode a Secret that
 * every replica shares (the token is copied into the data dir, where the CLI on the pod finds it).
 */
async function serverSecrets(o: ServerOptions, zones: ZoneRegistry, files: ReturnType<typeof dataFiles>): Promise<{ adminToken: string; keys: KeyBox }> {
  if (!o.ha) return { adminToken: readOrCreateSecretFile(files.adminToken, generateToken), keys: KeyBox.fromFile(files.secretKey) };
  const k = zones.kubernetes(o.ha.zone);
  if (!k)
    throw new InferscaleError('invalid_argument', `ha: "${o.ha.zone}" is not a Kubernetes zone of the zones file (zones: ${zones.names().join(', ')})`, {
      field: 'ha',
    });
  const { ensureServerSecrets } = await import('../cluster/server-secret.js');
  const s = await ensureServerSecrets(k.provider.client);
  writeFileSync(files.adminToken, `${s.adminToken}\n`, { mode: 0o600 });
  return { adminToken: s.adminToken, keys: new KeyBox(s.secretKey) };
}
