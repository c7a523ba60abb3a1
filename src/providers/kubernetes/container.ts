/** The engine container of a replica pod: image, command, probes, GPU resources and the stop sequence. */
import { fileURLToPath } from 'node:url';
import type { V1Container, V1EnvVar, V1Probe, V1Volume } from '@kubernetes/client-node';
import { InferscaleError } from '../../core/errors.js';
import type { EngineDriver } from '../../engines/types.js';
import type { KubernetesZoneConfig } from '../../zones/config.js';
import { POD_MODEL_DIR, type PodModel } from '../../domain/pod-model.js';
import { fractionalRequest } from './fractional.js';

/** Where the inferscale package lives in its image (deploy/Dockerfile copies it there). */
export const IMAGE_APP_DIR = '/app';
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface EngineContainerInput {
  driver: EngineDriver;
  modelName: string;
  engineParams: string;
  gpuCount: number;
  gpuType: string;
  /** a fractional replica's memory on one GPU (MiB; fractional.ts); absent: whole GPUs */
  gpuMemoryMb?: number;
  model?: PodModel;
}

export const MODEL_VOLUME = 'models';
/**
 * Where the model is kept in the model volume. A cache shared by pods (node, pvc) keys a single file by its
 * sha256, so two models with one file name never overwrite each other; a repository's directory is named for
 * the repository and its commit already.
 */
const storedIn = (zone: KubernetesZoneConfig, m: PodModel) =>
  zone.modelCache.type !== 'pod' && !m.repo && m.sha256 ? `${POD_MODEL_DIR}/sha256-${m.sha256}/${m.fileName}` : `${POD_MODEL_DIR}/${m.fileName}`;
/** What the engine loads: the file, or a repository's directory (or the GGUF inside it that llamacpp loads). */
const modelPathIn = (zone: KubernetesZoneConfig, m: PodModel) => (m.repo?.entry ? `${storedIn(zone, m)}/${m.repo.entry}` : storedIn(zone, m));
const POD_FETCH = fileURLToPath(new URL('../../models/pod-fetch.js', import.meta.url));

/** The pod's model volume, from the zone's modelCache: an emptyDir, the node's cache directory, or a ReadWriteMany claim. */
export function modelVolume(zone: KubernetesZoneConfig): V1Volume {
  const c = zone.modelCache;
  if (c.type === 'node') return { name: MODEL_VOLUME, hostPath: { path: c.path, type: 'DirectoryOrCreate' } };
  if (c.type === 'pvc') return { name: MODEL_VOLUME, persistentVolumeClaim: { claimName: c.claimName } };
  return { name: MODEL_VOLUME, emptyDir: {} };
}

/**
 * The init container that fetches the model into the pod's model volume: a file checked against its sha256,
 * or a repository at its pinned commit (only what the cache lacks, under the cache's lock); hf: models with
 * the zone's token Secret.
 */
export function modelFetchContainer(zone: KubernetesZoneConfig, m: PodModel): V1Container {
  const secret = zone.hfTokenSecret;
  const auth = m.auth === 'hf' ? ['--auth', 'hf', '--token-secret', `${secret.name}/${secret.key}`] : [];
  const what = m.repo
    ? ['--repo', m.url, '--revision', m.repo.revision, '--out', storedIn(zone, m), ...m.repo.include.flatMap((g) => ['--include', g])]
    : ['--url', m.url, '--out', storedIn(zone, m), ...(m.sha256 ? ['--sha256', m.sha256] : [])];
  const { command, args } = inImage(process.execPath, [POD_FETCH, ...what, ...auth]);
  return {
    name: 'fetch-model',
    image: engineImage(zone, 'llamacpp'),
    command,
    args,
    // its last log lines become the status message a failed fetch shows (deployment show names it)
    terminationMessagePolicy: 'FallbackToLogsOnError',
    // a Hugging Face file: the token, when the namespace has the Secret (optional: public files need none)
    env: m.auth === 'hf' ? [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: secret.name, key: secret.key, optional: true } } }] : undefined,
    volumeMounts: [{ name: MODEL_VOLUME, mountPath: POD_MODEL_DIR }],
  };
}

/**
 * Engines that run as `node <this package>/dist/...` (sim, llamacpp) run the same files inside the
 * inferscale image: the local path becomes /app/..., `node` comes from the image.
 */
function inImage(command: string, args: string[]): { command: string[]; args: string[] } {
  if (command !== process.execPath) return { command: [command], args };
  return { command: ['node'], args: args.map((a) => (a.startsWith(PACKAGE_ROOT) ? `${IMAGE_APP_DIR}/${a.slice(PACKAGE_ROOT.length)}` : a)) };
}

function httpProbe(path: string, periodSeconds: number, failureThreshold: number, timeoutSeconds: number): V1Probe {
  return { httpGet: { path, port: 'http' }, periodSeconds, failureThreshold, timeoutSeconds, successThreshold: 1 };
}

export function engineImage(zone: KubernetesZoneConfig, engine: string): string {
  const image = zone.images[engine];
  if (!image) {
    const known = Object.keys(zone.images);
    throw new InferscaleError(
      'invalid_argument',
      `engine: zone "${zone.name}" has no image for the ${engine} engine (images for: ${known.join(', ') || 'none'}); add images.${engine} to the zones file`,
      { field: 'engine' },
    );
  }
  return image;
}

export function engineContainer(zone: KubernetesZoneConfig, e: EngineContainerInput): V1Container {
  const mapping = zone.gpuTypes[e.gpuType];
  const fraction = e.gpuMemoryMb ? fractionalRequest(zone, e.gpuType, e.gpuMemoryMb) : undefined;
  const cmd = e.driver.command({
    modelName: e.modelName,
    modelPath: e.model ? modelPathIn(zone, e.model) : undefined,
    engineParams: e.engineParams,
    host: '0.0.0.0',
    port: zone.enginePort,
    gpus: [],
    gpuCount: e.gpuCount,
    // the engine's share of what its device shows (vLLM --gpu-memory-utilization, SGLang --mem-fraction-static)
    ...(fraction ? { gpuMemory: fraction.share } : {}),
  });
  const { command, args } = inImage(cmd.command, cmd.args);
  // the device plugin picks the GPUs: CUDA_VISIBLE_DEVICES from the local launcher would hide them
  const env: V1EnvVar[] = Object.entries(cmd.env)
    .filter(([k]) => k !== 'CUDA_VISIBLE_DEVICES')
    .map(([name, value]) => ({ name, value }));
  env.push({ name: 'INFERSCALE_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  const gpus: Record<string, string> = fraction?.resources ?? { [mapping?.resource ?? 'nvidia.com/gpu']: String(e.gpuCount) };
  return {
    name: 'engine',
    image: engineImage(zone, e.driver.name),
    command,
    args,
    env,
    ports: [{ name: 'http', containerPort: zone.enginePort, protocol: 'TCP' }],
    resources: {
      requests: { ...(mapping?.requests ?? {}), ...gpus },
      limits: { ...gpus },
    },
    // ready: serves requests now; startup: model loading may take minutes; liveness: a hung engine restarts
    readinessProbe: httpProbe(e.driver.healthPath, 5, 2, 3),
    startupProbe: httpProbe(e.driver.healthPath, 10, Math.ceil(zone.modelLoadTimeoutSeconds / 10), 5),
    livenessProbe: httpProbe(e.driver.healthPath, 20, 6, 10),
    lifecycle: zone.preStopSeconds > 0 ? { preStop: { exec: { command: ['sh', '-c', `sleep ${zone.preStopSeconds}`] } } } : undefined,
    volumeMounts: [{ name: 'dshm', mountPath: '/dev/shm' }, ...(e.model ? [{ name: MODEL_VOLUME, mountPath: POD_MODEL_DIR, readOnly: true }] : [])],
  };
}
