/**
 * The zones a server offers: `local` (this machine's GPUs, the server's LocalProvider) and the zones of the
 * zones file, every one built by the factory of its type (`local`, `kubernetes`, `simulated`; a new zone
 * type is one `registerZoneType`). Answers what the API and the controller ask of a zone: which provider runs it (what it
 * can do is in the provider's capabilities), and how it lists itself.
 */
import type { CapacityLink } from '../service/capacity-link.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { InferscaleError, invalid } from '../core/errors.js';
import type { GpuDevice } from '../placement/inventory.js';
import { LOCAL_COLD_START_MS } from '../domain/limits.js';
import type { ReplicaProvider } from '../providers/types.js';
import type { KubernetesProvider } from '../providers/kubernetes/provider.js';
import type { PodView, Target } from '../providers/kubernetes/pods.js';
import type { KubernetesZoneConfig, SimulatedZoneConfig, ZonesFile } from './config.js';

export { ELASTIC } from '../providers/types.js';

export interface ZoneGpu {
  gpuType: string;
  limit: number | null;
  nodes: number | null;
  allocatable: number | null;
  requested: number | null;
}

export interface ZoneView {
  name: string;
  /** the zone type: 'local', 'kubernetes', 'simulated' */
  type: string;
  where: string;
  provisioner: string | null;
  gpus: ZoneGpu[];
  note?: string;
}

/** What the deployment service asks of zones. */
export interface ZoneCatalog {
  /** throws invalid_argument naming the available zones */
  assertZone(zone: string): void;
  /** the provider that runs a zone's replicas (undefined: no such zone) */
  providerFor(zone: string): ReplicaProvider | undefined;
  /** where a create without a zone goes */
  defaultZone?(): string;
  /** whether the zone declares spot nodes (docs/spot.md) */
  spotNodes?(zone: string): boolean;
}

export interface ZoneRegistryOptions {
  file?: ZonesFile;
  clock: Clock;
  log: (line: string) => void;
  inventory: readonly GpuDevice[];
  /** the provider of the `local` zone: this machine's processes */
  local: ReplicaProvider;
  /** test seam: the kubeconfig for a zone (default: its kubeconfig file, in-cluster credentials, or ~/.kube/config) */
  kubeConfigFor?: (zone: KubernetesZoneConfig) => KubeConfig;
  podAddress?: (pod: PodView) => Target;
  /** each deployment's capacity type, for zones with spot nodes (src/service/capacity-link.ts) */
  capacity?: Pick<CapacityLink, 'of' | 'record'>;
}

type KubeZone = { config: KubernetesZoneConfig; provider: KubernetesProvider; kc: KubeConfig };

/** A zone as the registry holds it: its provider, and how it starts, lists itself and ends. */
export interface Zone {
  readonly name: string;
  readonly type: string;
  readonly provider: ReplicaProvider;
  /** waits up to `syncTimeoutMs` for what the zone watches (a cluster's first list) and says where it is */
  init(syncTimeoutMs: number): Promise<void>;
  view(): Promise<ZoneView>;
  close(): Promise<void>;
  /** a Kubernetes zone's config, provider and credentials (HA mode, manifest export) */
  readonly kubernetes?: KubeZone;
}

/** Builds a zone of one type from its entry in the zones file. */
export type ZoneFactory<C = never> = (config: C, o: ZoneRegistryOptions) => Promise<Zone>;

const factories = new Map<string, ZoneFactory<any>>();

/** Registers how zones of a type are built: adding a zone type is one call. */
export function registerZoneType<C extends { name: string; type: string }>(type: C['type'], factory: ZoneFactory<C>): void {
  factories.set(type, factory);
}

/** The Kubernetes client (slow to load) is imported only when the file declares a Kubernetes zone. */
registerZoneType<KubernetesZoneConfig>('kubernetes', async (z, o) => {
  const { KubernetesProvider } = await import('../providers/kubernetes/provider.js');
  const { loadKubeConfig } = await import('../providers/kubernetes/client.js');
  let kc: KubeConfig;
  try {
    kc = o.kubeConfigFor?.(z) ?? loadKubeConfig(z);
  } catch (e) {
    throw new InferscaleError(
      'invalid_argument',
      `zone "${z.name}": cannot load Kubernetes credentials${z.kubeconfig ? ` from ${z.kubeconfig}` : ''}: ${(e as Error).message}`,
      { field: 'zones' },
    );
  }
  const provider = new KubernetesProvider({
    zone: z,
    kubeConfig: kc,
    clock: o.clock,
    log: (l) => o.log(`zone ${z.name}: ${l}`),
    podAddress: o.podAddress,
    capacityOf: o.capacity && ((d) => o.capacity!.of(d)),
    onCapacity: o.capacity && ((r, d, c) => o.capacity!.record(r, d, c)),
  });
  const where = () => `${kc.getCurrentCluster()?.server ?? '?'}`;
  return {
    name: z.name,
    type: 'kubernetes',
    provider,
    kubernetes: { config: z, provider, kc },
    init: async (syncTimeoutMs) => {
      const synced = await provider.init(syncTimeoutMs);
      const at = `${where()} namespace ${z.namespace}`;
      o.log(synced ? `zone ${z.name}: Kubernetes at ${at}` : `zone ${z.name}: Kubernetes at ${at} not reachable yet; its watch keeps retrying`);
    },
    view: async () => {
      const { capacityOf, listNodes } = await import('../providers/kubernetes/capacity.js');
      const { nodes, note } = await listNodes(provider.client);
      return {
        name: z.name,
        type: 'kubernetes',
        where: `${where()} ns/${z.namespace}`,
        provisioner: z.provisioner,
        gpus: capacityOf(z, nodes, provider.pods.list()),
        note,
      };
    },
    close: () => provider.close(),
  };
});

registerZoneType<SimulatedZoneConfig>('simulated', async (z, o) => {
  const { SimulatedProvider } = await import('../providers/simulated/provider.js');
  const provider = new SimulatedProvider({ clock: o.clock, engineUrl: z.engineUrl, coldStartMs: z.coldStartSeconds * 1000, gpuTypes: z.gpuTypes });
  return {
    name: z.name,
    type: 'simulated',
    provider,
    init: async () => o.log(`zone ${z.name}: simulated replicas (${z.coldStartSeconds} s cold start)`),
    view: async () => ({
      name: z.name,
      type: 'simulated',
      where: 'in memory',
      provisioner: null,
      gpus: Object.entries(z.gpuTypes).map(([gpuType, m]) => ({ gpuType, limit: m.maxGpus ?? null, nodes: null, allocatable: null, requested: null })),
    }),
    close: async () => undefined,
  };
});

/** The `local` zone: this machine's GPUs, its replicas the server's local processes. Always there, first. */
registerZoneType<{ name: 'local'; type: 'local' }>('local', async (_z, o) => ({
  name: 'local',
  type: 'local',
  provider: o.local,
  init: async () => undefined,
  view: async () => {
    const types = [...new Set(o.inventory.map((g) => g.type))].sort();
    return {
      name: 'local',
      type: 'local',
      where: 'this machine',
      provisioner: null,
      gpus: types.map((t) => {
        const n = o.inventory.filter((g) => g.type === t).length;
        return { gpuType: t, limit: n, nodes: 1, allocatable: n, requested: null };
      }),
    };
  },
  close: async () => undefined,
}));

export class ZoneRegistry implements ZoneCatalog {
  /** HA mode: the zone whose namespace holds the shared state; `local` is then refused (each server replica has its own machine) */
  private haZone?: string;

  private constructor(
    private readonly o: ZoneRegistryOptions,
    private readonly zones: Map<string, Zone>,
  ) {}

  /** Several server replicas (HA): creates go to `zone` by default, and the local zone is refused. */
  useHaZone(zone: string): void {
    this.haZone = zone;
  }

  defaultZone(): string {
    return this.haZone ?? 'local';
  }

  /** Builds the zones (the file's, by their type's factory) and starts them (waits up to `syncTimeoutMs` for each first sync). */
  static async open(o: ZoneRegistryOptions & { path?: string; syncTimeoutMs?: number }): Promise<ZoneRegistry> {
    const file = o.file ?? (o.path ? (await import('./load.js')).readZonesFile(o.path) : undefined);
    const zones = new Map<string, Zone>();
    for (const z of [{ name: 'local', type: 'local' }, ...(file?.zones ?? []).filter((x) => x.type !== 'local')]) {
      const factory = factories.get(z.type);
      if (!factory) throw invalid('zones', `zone "${z.name}": no zone type "${z.type}" (types: ${[...factories.keys()].join(', ')})`);
      zones.set(z.name, await factory(z, o));
    }
    const reg = new ZoneRegistry({ ...o, file }, zones);
    await Promise.all([...zones.values()].map((z) => z.init(o.syncTimeoutMs ?? 10_000)));
    return reg;
  }

  /** where pods' engines are reached (a test seam; undefined: pod IP and the zone's engine port) */
  get podAddress(): ((pod: PodView) => Target) | undefined {
    return this.o.podAddress;
  }

  names(): string[] {
    return [...this.zones.keys()];
  }

  /** The provider of every zone, by zone name (what the reconciler runs replicas through). */
  providers(): Map<string, ReplicaProvider> {
    return new Map([...this.zones].map(([n, z]) => [n, z.provider]));
  }

  providerFor(zone: string): ReplicaProvider | undefined {
    return this.zones.get(zone)?.provider;
  }

  kubernetes(zone: string): KubeZone | undefined {
    return this.zones.get(zone)?.kubernetes;
  }

  spotNodes(zone: string): boolean {
    return Boolean(this.kubernetes(zone)?.config.spot);
  }

  assertZone(zone: string): void {
    if (zone === 'local' && this.haZone) {
      throw invalid(
        'zone',
        `"local" is not available on servers in HA mode: each server replica is its own machine; use a Kubernetes zone (${this.names()
          .filter((n) => n !== 'local')
          .join(', ')})`,
      );
    }
    if (!this.zones.has(zone)) throw invalid('zone', `unknown zone "${zone}" (available: ${this.names().join(', ')})`);
  }

  /** Cold start to expect before a measurement exists: the zone provider's (Kubernetes zones add node provisioning). */
  defaultColdStartMs(zone: string): number {
    return this.providerFor(zone)?.capabilities.defaultColdStartMs ?? LOCAL_COLD_START_MS;
  }

  async list(): Promise<ZoneView[]> {
    const out: ZoneView[] = [];
    for (const z of this.zones.values()) out.push(await z.view());
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.zones.values()].map((z) => z.close()));
  }
}
