/** Test helpers: a fake cluster behind a local HTTP API server, and a zone that points at it. */
import type { KubeConfig } from '@kubernetes/client-node';
import { FakeCluster } from './fake/cluster.js';
import { FakeControllers, type FakeControllerOptions } from './fake/controllers.js';
import { FakeApiServer, type RecordedRequest } from './fake/http.js';
import { kubernetesZoneSchema, type KubernetesZoneConfig } from '../../zones/config.js';

export interface FakeKube {
  cluster: FakeCluster;
  controllers: FakeControllers;
  server: FakeApiServer;
  kc: KubeConfig;
  namespace: string;
  close(): Promise<void>;
}

export async function startFakeKube(o: FakeControllerOptions & { namespace?: string } = {}): Promise<FakeKube> {
  const namespace = o.namespace ?? 'inference';
  const cluster = new FakeCluster();
  const controllers = new FakeControllers(cluster, o);
  const server = await new FakeApiServer(cluster).start();
  return {
    cluster,
    controllers,
    server,
    namespace,
    kc: server.kubeConfig(namespace),
    async close() {
      controllers.close();
      await server.close();
    },
  };
}

/** A zone with h100 (GPU feature discovery label, then Karpenter's) and l4 (Karpenter only). */
export function testZone(over: Partial<KubernetesZoneConfig> = {}): KubernetesZoneConfig {
  return kubernetesZoneSchema.parse({
    name: 'fake-eks',
    type: 'kubernetes',
    namespace: 'inference',
    images: { sim: 'ghcr.io/inferscale/inferscale:0.1.0', vllm: 'vllm/vllm-openai:v0.8.5' },
    gpuTypes: {
      h100: { match: [{ 'nvidia.com/gpu.product': ['NVIDIA-H100-80GB-HBM3'] }, { 'karpenter.k8s.aws/instance-gpu-name': ['h100'] }], maxGpus: 16 },
      l4: { match: [{ 'karpenter.k8s.aws/instance-gpu-name': ['l4'] }] },
    },
    preStopSeconds: 5,
    ...over,
  });
}

export const H100_NODE_LABELS = { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' };
export const KARPENTER_L4_LABELS = { 'karpenter.k8s.aws/instance-gpu-name': 'l4', 'karpenter.sh/nodepool': 'gpu' };

/** Polls `cond` (on real time) until truthy. */
export async function until<T>(cond: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Access {
  group: string;
  resource: string;
  verb: string;
}

function toAccess(r: RecordedRequest): Access {
  const parts = r.path.split('/').filter(Boolean);
  const group = parts[0] === 'api' ? '' : parts[1];
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const resource = rest[2] ? `${rest[0]}/${rest[2]}` : rest[0];
  const verb =
    { GET: rest[1] ? 'get' : r.query.watch === 'true' ? 'watch' : 'list', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[r.method] ??
    r.method;
  return { group, resource, verb };
}

function allowed(rules: readonly RbacRule[], a: Access): boolean {
  return rules.some((r) => r.apiGroups.includes(a.group) && r.resources.includes(a.resource) && r.verbs.includes(a.verb));
}

export type RbacRule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** The requests (as recorded by the fake API) that `rules` (a Role's and ClusterRole's) would not allow. */
export function deniedRequests(requests: readonly RecordedRequest[], rules: readonly RbacRule[]): Access[] {
  return requests.map(toAccess).filter((a) => !allowed(rules, a));
}
