import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataDirLock } from './data-dir-lock.js';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { systemClock, type Clock } from '../core/clock.js';
import { InferscaleError } from '../core/errors.js';
import { dataFiles } from '../config/paths.js';
import { openDb, type Db } from '../store/db.js';
import { StorageStatus } from '../store/storage-status.js';
import { Store, type DeploymentRow } from '../store/store.js';
import { KeyBox, generateToken, readOrCreateSecretFile } from '../security/secrets.js';
import { detectNvidiaGpus, virtualGpus, type GpuDevice } from '../placement/inventory.js';
import { LocalProvider } from '../providers/local/provider.js';
import { Reconciler } from '../controller/reconciler.js';
import { GatewayMetrics } from '../gateway/metrics.js';
import { RouteTable } from '../gateway/routes.js';
import { EngineScraper } from '../gateway/engine-scraper.js';
import { Gateway, gatewayLimits, type GatewayLimits } from '../gateway/gateway.js';
import { RequestLog } from '../gateway/request-log.js';
import { mountRequestLogRoutes } from '../api/request-log-routes.js';
import { DeploymentService } from '../service/deployments.js';
import { createApi } from '../api/app.js';
import { estimateColdStartMs } from '../autoscaler/coldstart.js';
import { AutoscalerLoop, cachedDemand } from '../controller/autoscaler-loop.js';
import { createObservability, type Observability } from '../dashboard/mount.js';
import { ModelService } from '../models/service.js';
import { mountModelRoutes } from '../models/routes.js';
import { ZoneRegistry, type ZoneRegistryOptions } from '../zones/registry.js';
import { mountZoneRoutes } from '../zones/routes.js';
import { mountClusterRoutes } from '../cluster/routes.js';
import { applySpecEdit, applySpecResource, deleteFromCluster } from '../cluster/edits.js';
import { forgetDeployment } from '../cluster/copy.js';
import { createHandler } from './handler.js';
import { createLimitedServer, httpLimits, type HttpLimits } from './http-limits.js';
import { LiveKedaSource } from '../keda/source.js';
import type { KedaScalerServer } from '../keda/server.js';
import { checkScalerTls, type KedaTlsOptions } from '../keda/tls.js';
import type { ClusterMember, HaOptions } from '../cluster/member.js';

export interface ServerOptions {
  host?: string;
  port?: number;
  dataDir: string;
  /** virtual GPU slots to offer; default: detected NVIDIA GPUs, else 8 virtual ones */
  virtualGpus?: number;
  virtualGpuType?: string;
  clock?: Clock;
  log?: (line: string) => void;
  /** stop every replica process when the server stops (default: leave them for the next server to adopt) */
  stopReplicasOnExit?: boolean;
  /** reconcile period, ms */
  tickMs?: number;
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
  openDb?: (path: string) => Db;
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
  /** HA mode: this replica's part in the cluster (role, leader, reported signals) */
  member?: ClusterMember;
  /** the KEDA external scaler's port while it is served (src/keda) */
  kedaPort(): number | undefined;
  close(): Promise<void>;
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
  const zones = await ZoneRegistry.open({ path: o.zonesFile ?? process.env.INFERSCALE_ZONES, clock, log, inventory, ...o.zones });
  const { adminToken, keys } = await serverSecrets(o, zones, files);
  // the servers' calls to each other (HA: a follower's load reports): the same on every replica, never the admin token
  const internalToken = `isi-${keys.derive('internal-token')}`;
  if (o.ha) zones.useHaZone(o.ha.zone);
  const store = new Store((o.openDb ?? openDb)(files.db));
  const storage = new StorageStatus({
    clock, log,
    probe: () => store.setSetting('storage_probe', String(clock.now())),
  });

  const metrics = new GatewayMetrics();
  const engineKey = (replicaId: string) => `ise-${keys.derive(`engine-key:${replicaId}`)}`;
  const routes = new RouteTable(clock, metrics, { engineKey });
  let member: ClusterMember | undefined;
  // before a cold start was measured: 30 s locally, plus node provisioning in a Kubernetes zone
  const coldStartMs = (id: string) => estimateColdStartMs(store.recentColdStarts(id), zones.defaultColdStartMs(store.getDeployment(id)?.zone ?? 'local'));
  // a follower has no replica rows: it takes the leader's estimate from the cluster
  routes.coldStartSeconds = (id) => (store.getDeployment(id) ? coldStartMs(id) : member?.clusterColdStartMs(id) ?? coldStartMs(id)) / 1000;
  const provider = new LocalProvider({ clock, logDir: files.logs, owner: resolve(o.dataDir) });
  let baseUrl = '';
  const models = new ModelService({ db: store.db, clock, dataDir: o.dataDir, keys, deployments: () => store.listDeployments(), log, maxModelBytes: o.maxModelBytes, allowPrivateSources: o.allowPrivateSources });
  const podModel = (d: DeploymentRow) => models.podModel(d.engine, d.modelName);
  const requestLog = new RequestLog(store.db, clock, storage);
  const reconciler = new Reconciler({
    store, storage, provider, zoneProviders: zones.providers(), clock, inventory, routes, log, tickMs: o.tickMs, engineKey,
    modelPath: (d) => models.launchPath(d.engine, d.modelName),
    onDeleted: (d) => {
      requestLog.flush();
      forgetDeployment(store.db, d.id, clock.now());
    },
    podModel,
  });
  const deployments = new DeploymentService({
    store, clock, inventory, keys, provider, baseUrl: () => baseUrl, kick: () => reconciler.kick(), models, zones, keyChanged: (d) => routes.setKeys(d),
    engineSignals: (name, replicaId) => routes.get(name)?.replicas.get(replicaId)?.engine,
  });
  // the engines' own load (running, waiting, KV cache) from each ready replica's /metrics, every 2 s
  const engineScraper = new EngineScraper({ clock, replicas: () => routes.replicas() });
  const gateway = new Gateway({ routes, clock, requestLog, limits: limits.gateway });
  const observability = createObservability({ store, storage, routes, metrics, clock, inventory, log, remote: (id) => member?.signals.take(id) ?? NO_REMOTE });
  const remoteLoad = (id: string) => member?.signals.current(id) ?? NO_REMOTE;
  const autoscaler = new AutoscalerLoop({
    store, routes, deployments, clock, log,
    remote: remoteLoad,
    coldStartMs,
    samples: observability.sampler,
    demand: cachedDemand((id, since) => observability.history.demandHistory(id, since)),
  });
  const keda = new LiveKedaSource({ store, routes, remote: remoteLoad });
  observability.sampler.onSample((id) => keda.changed(id));
  const autoscalerWake = (id: string) => autoscaler.wake(id);
  // a request held at zero: the autoscaler decides now, and KEDA's StreamIsActive hears of it now
  const wake = (id: string) => {
    autoscalerWake?.(id);
    keda.changed(id);
  };
  routes.wakeHandler = wake;
  let kedaServer: KedaScalerServer | undefined;
  const extendApi = (app: Hono) => {
    observability.extendApi(app);
    mountModelRoutes(app, models);
    mountRequestLogRoutes(app, { requestLog, deployments, clock });
    mountZoneRoutes(app, zones, deployments, podModel);
    mountClusterRoutes(app, () => member, wake, () => ({ identity: hostname(), url: baseUrl }));
  };
  const api = createApi({ deployments, store, adminToken, internalToken, inventory, autoscaler, extend: extendApi, afterWrite: o.ha ? () => member?.flush() ?? Promise.resolve() : undefined });
  const apiListener = getRequestListener(api.fetch);

  let started = false;
  const handler = createHandler({ gateway, api: apiListener, metrics, observability, member: () => member, started: () => started, storage: () => storage.view(), metricsToken: o.metricsToken });

  const server: Server = createLimitedServer(handler, limits.http);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const host = o.host ?? '127.0.0.1';
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  writeFileSync(files.serverInfo, JSON.stringify({ url: baseUrl, pid: process.pid }) + '\n', { mode: 0o600 });
  lock.listening(baseUrl, port);
  requestLog.start();
  const lead = async () => {
    // replica processes of this data dir that no live row owns (a crash between spawn and saving the pid)
    const live = new Map(store.listLiveReplicas().map((r) => [r.id, r.pid]));
    for (const x of await provider.sweepOrphans((id, pid) => live.get(id) === pid, 5000)) {
      log(`stopped orphan replica process ${x.pid} (${x.replicaId}): no live replica row owns it`);
    }
    reconciler.start();
    observability.start();
    engineScraper.start();
    models.resumeInterrupted();
    if (o.kedaPort !== undefined) {
      const { startKedaScaler } = await import('../keda/server.js');
      kedaServer = await startKedaScaler({ host: o.host ?? '127.0.0.1', port: o.kedaPort, source: keda, log, tls: o.kedaTls });
    }
  };
  if (o.ha) {
    const { ClusterMember } = await import('../cluster/member.js');
    const url = o.ha.advertiseUrl ?? process.env.INFERSCALE_ADVERTISE_URL ?? (process.env.POD_IP ? `http://${process.env.POD_IP}:${port}` : baseUrl);
    member = new ClusterMember(o.ha, {
      zones, store, routes, clock, log, internalToken, url, lead, podModel, coldStartMs, requestLog, models, keys,
      pruneHistory: (now) => observability.history.prune(now),
      registry: metrics.registry,
      clusterChanges: {
        onEdit: (d, edit) => applySpecEdit({ deployments, store }, d, edit, clock.now()),
        onApply: (r) => applySpecResource({ deployments, store }, r, clock.now()),
        onDelete: (d) => deleteFromCluster({ deployments, store }, d, clock.now()),
      },
      prices: { all: () => observability.cost.ledger.prices(), set: (gpuType, usd) => observability.cost.ledger.setPrice(gpuType, usd) },
      unlead: async () => {
        await kedaServer?.close();
        kedaServer = undefined;
        engineScraper.stop();
        await reconciler.stop();
        await observability.stop();
      },
    });
    await member.start();
  } else await lead();
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
    member,
    kedaPort: () => kedaServer?.port,
    async close() {
      await member?.close();
      await kedaServer?.close();
      engineScraper.stop();
      await reconciler.stop();
      requestLog.stop();
      storage.stop();
      await models.close();
      await observability.stop();
      provider.close();
      await zones.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (o.stopReplicasOnExit) {
        await Promise.all(
          store.listLiveReplicas().map((r) => (r.port !== null ? provider.stop({ replicaId: r.id, pid: r.pid, pidStart: r.pidStart, port: r.port, url: '' }, 2000) : undefined)),
        );
      }
      await routes.close();
      store.db.close();
      lock.release();
    },
  };
}

const NO_REMOTE = { ongoing: 0, queued: 0, arrivals: 0, ttftMs: [] as number[] };

/** GPUs to offer: as given, else the detected NVIDIA GPUs, else 8 virtual ones. */
async function gpuInventory(o: ServerOptions, log: (line: string) => void): Promise<GpuDevice[]> {
  if (o.virtualGpus !== undefined) return virtualGpus(o.virtualGpus, o.virtualGpuType ?? 'vgpu');
  const found = await detectNvidiaGpus();
  if (found.length) return found;
  log('no NVIDIA GPU found: offering 8 virtual GPUs of type "vgpu" (set --virtual-gpus N --virtual-gpu-type NAME)');
  return virtualGpus(8, o.virtualGpuType ?? 'vgpu');
}

/**
 * The admin token and the key that seals API keys: files in the data dir, or in HA mode a Secret that
 * every replica shares (the token is copied into the data dir, where the CLI on the pod finds it).
 */
async function serverSecrets(o: ServerOptions, zones: ZoneRegistry, files: ReturnType<typeof dataFiles>): Promise<{ adminToken: string; keys: KeyBox }> {
  if (!o.ha) return { adminToken: readOrCreateSecretFile(files.adminToken, generateToken), keys: KeyBox.fromFile(files.secretKey) };
  const k = zones.kubernetes(o.ha.zone);
  if (!k) throw new InferscaleError('invalid_argument', `ha: "${o.ha.zone}" is not a Kubernetes zone of the zones file (zones: ${zones.names().join(', ')})`, { field: 'ha' });
  const { ensureServerSecrets } = await import('../cluster/server-secret.js');
  const s = await ensureServerSecrets(k.provider.client);
  writeFileSync(files.adminToken, s.adminToken + '\n', { mode: 0o600 });
  return { adminToken: s.adminToken, keys: new KeyBox(s.secretKey) };
}
