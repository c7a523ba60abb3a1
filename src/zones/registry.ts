/**
 * The zones a server offers: `local` (this machine's GPUs, LocalProvider) and the Kubernetes zones of
 * the zones file, each with its own provider. Answers what the API and the controller ask of a zone:
 * which provider runs it, which GPU types it has and how many, and its default cold start.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { InferscaleError, invalid } from '../core/errors.js';
import type { GpuDevice } from '../placement/inventory.js';
import { LOCAL_COLD_START_MS } from '../domain/limits.js';
import type { ReplicaProvider } from '../providers/types.js';
import type { KubernetesProvider } from '../providers/kubernetes/provider.js';
import type { PodView, Target } from '../providers/kubernetes/pods.js';
import type { KubernetesZoneConfig, ZonesFile } from './config.js';

/** GPUs of a type a zone may hold when no cap is configured: the node provisioner decides. */
export const ELASTIC = 100_000;

export interface ZoneGpu {
  gpuType: string;
  limit: number | null;
  nodes: number | null;
  allocatable: number | null;
  requested: number | null;
}

export interface ZoneView {
  name: string;
  type: 'local' | 'kubernetes';
  where: string;
  provisioner: string | null;
  gpus: ZoneGpu[];
  note?: string;
}

/** What the deployment service asks of zones. */
export interface ZoneCatalog {
  /** throws invalid_argument naming the available zones */
  assertZone(zone: string): void;
  isLocal(zone: string): boolean;
  /** the GPU type for a create in a Kubernetes zone (the only one it maps, when not given); throws when it has none */
  gpuTypeFor(zone: string, gpuType: string | undefined, engine: string): string;
  /** GPUs of a type a Kubernetes zone may hold (its cap, else ELASTIC) */
  capacity(zone: string, gpuType: string): number;
  /** the provider of a Kubernetes zone (undefined: local) */
  providerFor(zone: string): ReplicaProvider | undefined;
  /** where a create without a zone goes */
  defaultZone?(): string;
}

export interface ZoneRegistryOptions {
  file?: ZonesFile;
  clock: Clock;
  log: (line: string) => void;
  inventory: readonly GpuDevice[];
  /** test seam: the kubeconfig for a zone (default: its kubeconfig file, in-cluster credentials, or ~/.kube/config) */
  kubeConfigFor?: (zone: KubernetesZoneConfig) => KubeConfig;
  podAddress?: (pod: PodView) => Target;
}

type KubeZone = { config: KubernetesZoneConfig; provider: KubernetesProvider; kc: KubeConfig };

export class ZoneRegistry implements ZoneCatalog {
  /** HA mode: the zone whose namespace holds the shared state; `local` is then refused (each server replica has its own machine) */
  private haZone?: string;

  private constructor(private readonly o: ZoneRegistryOptions, private readonly k8s: Map<string, KubeZone>) {}

  /** Several server replicas (HA): creates go to `zone` by default, and the local zone is refused. */
  useHaZone(zone: string): void {
    this.haZone = zone;
  }

  defaultZone(): string {
    return this.haZone ?? 'local';
  }

  /**
   * Builds the zones and starts their watches (waits up to `syncTimeoutMs` for each first list). The
   * Kubernetes client (slow to load) is imported only when the file declares a Kubernetes zone.
   */
  static async open(o: ZoneRegistryOptions & { path?: string; syncTimeoutMs?: number }): Promise<ZoneRegistry> {
    const file = o.file ?? (o.path ? (await import('./load.js')).readZonesFile(o.path) : undefined);
    const k8s = new Map<string, KubeZone>();
    const zones = (file?.zones ?? []).filter((z): z is KubernetesZoneConfig => z.type === 'kubernetes');
    if (zones.length) {
      const { KubernetesProvider } = await import('../providers/kubernetes/provider.js');
      const { loadKubeConfig } = await import('../providers/kubernetes/client.js');
      for (const z of zones) {
        let kc: KubeConfig;
        try {
          kc = o.kubeConfigFor?.(z) ?? loadKubeConfig(z);
        } catch (e) {
          throw new InferscaleError('invalid_argument', `zone "${z.name}": cannot load Kubernetes credentials${z.kubeconfig ? ` from ${z.kubeconfig}` : ''}: ${(e as Error).message}`, { field: 'zones' });
        }
        const provider = new KubernetesProvider({ zone: z, kubeConfig: kc, clock: o.clock, log: (l) => o.log(`zone ${z.name}: ${l}`), podAddress: o.podAddress });
        k8s.set(z.name, { config: z, provider, kc });
      }
    }
    const reg = new ZoneRegistry({ ...o, file }, k8s);
    await Promise.all(
      [...reg.k8s.values()].map(async ({ config, provider, kc }) => {
        const synced = await provider.init(o.syncTimeoutMs ?? 10_000);
        const where = `${kc.getCurrentCluster()?.server ?? '?'} namespace ${config.namespace}`;
        o.log(synced ? `zone ${config.name}: Kubernetes at ${where}` : `zone ${config.name}: Kubernetes at ${where} not reachable yet; its watch keeps retrying`);
      }),
    );
    return reg;
  }

  /** where pods' engines are reached (a test seam; undefined: pod IP and the zone's engine port) */
  get podAddress(): ((pod: PodView) => Target) | undefined {
    return this.o.podAddress;
  }

  names(): string[] {
    return ['local', ...this.k8s.keys()];
  }

  /** The providers of the Kubernetes zones, by zone name (local is the reconciler's default provider). */
  providers(): Map<string, ReplicaProvider> {
    return new Map([...this.k8s].map(([n, z]) => [n, z.provider]));
  }

  providerFor(zone: string): ReplicaProvider | undefined {
    return this.k8s.get(zone)?.provider;
  }

  kubernetes(zone: string): { config: KubernetesZoneConfig; provider: KubernetesProvider } | undefined {
    return this.k8s.get(zone);
  }

  assertZone(zone: string): void {
    if (zone === 'local' && this.haZone) {
      throw invalid('zone', `"local" is not available on servers in HA mode: each server replica is its own machine; use a Kubernetes zone (${[...this.k8s.keys()].join(', ')})`);
    }
    if (zone !== 'local' && !this.k8s.has(zone)) throw invalid('zone', `unknown zone "${zone}" (available: ${this.names().join(', ')})`);
  }

  isLocal(zone: string): boolean {
    return !this.k8s.has(zone);
  }

  gpuTypeFor(zone: string, gpuType: string | undefined, engine: string): string {
    const z = this.k8s.get(zone)?.config;
    if (!z) throw invalid('zone', `"${zone}" is not a Kubernetes zone`);
    const types = Object.keys(z.gpuTypes);
    const t = gpuType ?? (types.length === 1 ? types[0] : undefined);
    if (!t) throw invalid('gpuType', `is required in zone "${zone}", which has ${types.join(', ')}`);
    if (!z.gpuTypes[t]) throw new InferscaleError('insufficient_capacity', `gpuType: zone "${zone}" has no ${t} GPUs (has: ${types.join(', ') || 'none'})`, { field: 'gpuType' });
    if (!z.images[engine]) throw invalid('engine', `zone "${zone}" has no image for the ${engine} engine (images for: ${Object.keys(z.images).join(', ') || 'none'})`);
    return t;
  }

  capacity(zone: string, gpuType: string): number {
    const m = this.k8s.get(zone)?.config.gpuTypes[gpuType];
    return m ? m.maxGpus ?? ELASTIC : 0;
  }

  /** Cold start to expect before a measurement exists: Kubernetes zones add node provisioning (minutes). */
  defaultColdStartMs(zone: string): number {
    const z = this.k8s.get(zone)?.config;
    return z ? LOCAL_COLD_START_MS + z.nodeProvisioningSeconds * 1000 : LOCAL_COLD_START_MS;
  }

  async list(): Promise<ZoneView[]> {
    const types = [...new Set(this.o.inventory.map((g) => g.type))].sort();
    const local: ZoneView = {
      name: 'local', type: 'local', where: 'this machine', provisioner: null,
      gpus: types.map((t) => {
        const n = this.o.inventory.filter((g) => g.type === t).length;
        return { gpuType: t, limit: n, nodes: 1, allocatable: n, requested: null };
      }),
    };
    const out: ZoneView[] = [local];
    if (this.k8s.size === 0) return out;
    const { capacityOf, listNodes } = await import('../providers/kubernetes/capacity.js');
    for (const [name, { config, provider, kc }] of this.k8s) {
      const { nodes, note } = await listNodes(provider.client);
      out.push({
        name, type: 'kubernetes', where: `${kc.getCurrentCluster()?.server ?? '?'} ns/${config.namespace}`, provisioner: config.provisioner,
        gpus: capacityOf(config, nodes, provider.pods.list()), note,
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.k8s.values()].map((z) => z.provider.close()));
  }
}
