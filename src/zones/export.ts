/** `deployment export NAME -O yaml`: the Kubernetes objects of a deployment, validated, as YAML or JSON. */
import { dumpYaml } from '@kubernetes/client-node';
import { invalid } from '../core/errors.js';
import { engineDriver } from '../engines/registry.js';
import type { DeploymentRow } from '../store/store.js';
import { renderWorkload, type RenderedWorkload } from '../providers/kubernetes/render.js';
import type { PodModel } from '../models/pod-fetch.js';
import { assertValidObjects } from '../providers/kubernetes/validate.js';
import type { KubernetesZoneConfig } from './config.js';
import type { ZoneRegistry } from './registry.js';
import { type CapacitySpec, type NodeCapacity, splitReplicas } from '../domain/capacity.js';
import { rendersWithoutSpot } from '../providers/kubernetes/spot.js';

/** A deployment's objects in a zone, as the provider creates them (the same template hash). */
export function renderDeployment(
  zone: KubernetesZoneConfig,
  d: DeploymentRow,
  model: PodModel | undefined,
  on?: { capacity: NodeCapacity; replicas: number },
): RenderedWorkload {
  return renderWorkload(zone, {
    name: d.name,
    driver: engineDriver(d.engine),
    modelName: d.modelName,
    engineParams: d.engineParams,
    gpuType: d.gpuType,
    gpuCount: d.gpuCount,
    gpuMemoryMb: d.gpuMemoryMb ?? undefined,
    drainTimeoutMs: d.drainTimeoutMs,
    labels: d.labels,
    replicas: on?.replicas ?? d.replicas,
    model,
    capacity: on?.capacity,
  });
}

/**
 * In a zone with spot nodes, one workload per capacity type the deployment uses (a mixed one: its floor on
 * on-demand and the rest on spot, src/domain/capacity.ts), behind the one Service.
 */
export function exportObjects(d: DeploymentRow, zone: KubernetesZoneConfig, model?: PodModel, capacity?: CapacitySpec): object[] {
  const r = renderDeployment(zone, d, model);
  let workloads: object[] = [r.deployment];
  if (capacity && !rendersWithoutSpot(zone.spot, capacity.capacity)) {
    const split = splitReplicas(capacity, d.replicas);
    const kinds: NodeCapacity[] = capacity.capacity === 'mixed' ? ['on-demand', 'spot'] : [capacity.capacity];
    workloads = kinds.map((k) => renderDeployment(zone, d, model, { capacity: k, replicas: k === 'spot' ? split.spot : split.onDemand }).deployment);
  }
  const objs = [...workloads, r.service, r.pdb];
  assertValidObjects(objs as never);
  return objs;
}

/** The zone to render for: the deployment's own when it is a Kubernetes zone, else the one asked for. */
export function exportZone(zones: ZoneRegistry, d: DeploymentRow, asked: string | undefined): KubernetesZoneConfig {
  const name = asked ?? d.zone;
  const z = zones.kubernetes(name)?.config;
  if (z) return z;
  const k8s = zones.names().filter((n) => zones.kubernetes(n));
  if (asked) throw invalid('zone', `"${asked}" is not a Kubernetes zone (Kubernetes zones: ${k8s.join(', ') || 'none; declare one in the zones file'})`);
  throw invalid(
    'zone',
    `deployment "${d.name}" runs in zone "${d.zone}"; name a Kubernetes zone to render it for with --zone (${k8s.join(', ') || 'none declared in the zones file'})`,
  );
}

export function toYaml(objs: object[]): string {
  return objs.map((o) => dumpYaml(o)).join('---\n');
}
