/**
 * Renders the Kubernetes objects of one inferscale deployment in a zone: a Deployment per pod template
 * (pods request the GPUs, tolerate GPU taints, and find GPU nodes through the zone's label alternatives),
 * a headless Service and a PodDisruptionBudget. Pure: the same input gives the same objects.
 */
import type { V1Deployment, V1NodeSelectorTerm, V1PodDisruptionBudget, V1PodTemplateSpec, V1Service, V1Toleration } from '@kubernetes/client-node';
import { InferscaleError } from '../../core/errors.js';
import type { EngineDriver } from '../../engines/types.js';
import type { GpuTypeMapping, KubernetesZoneConfig } from '../../zones/config.js';
import { engineContainer, modelFetchContainer, modelVolume } from './container.js';
import type { PodModel } from '../../domain/pod-model.js';
import type { NodeCapacity } from '../../domain/capacity.js';
import { LABEL_CAPACITY, spotSpread, spotTolerations, termsOn } from './spot.js';
import {
  ANNOTATION_DO_NOT_DISRUPT,
  LABEL_DEPLOYMENT,
  LABEL_GPU_TYPE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  LABEL_TEMPLATE,
  MANAGED_BY,
  shortHash,
  workloadName,
} from './labels.js';

/** What inferscale knows about a deployment that the objects need. */
export interface WorkloadSpec {
  name: string;
  driver: EngineDriver;
  modelName: string;
  engineParams: string;
  gpuType: string;
  gpuCount: number;
  /** a fractional replica's memory on one GPU (MiB): its pod asks for a share as the zone's fractionalGpus says */
  gpuMemoryMb?: number;
  /** the longest a request may stream after the replica leaves rotation */
  drainTimeoutMs: number;
  labels: Record<string, string>;
  replicas: number;
  /** fetched into the pod's model volume by an init container before the engine starts (llamacpp) */
  model?: PodModel;
  /** the kind of node the pods run on, when the zone tells spot nodes apart (spot.ts); absent: any GPU node */
  capacity?: NodeCapacity;
}

export interface RenderedWorkload {
  /** the Kubernetes Deployment's name: `<deployment>-<template hash>` */
  workload: string;
  templateHash: string;
  deployment: V1Deployment;
  service: V1Service;
  pdb: V1PodDisruptionBudget;
}

/** The zone's mapping for a GPU type, or invalid_argument naming the types it has. */
export function gpuMapping(zone: KubernetesZoneConfig, gpuType: string): GpuTypeMapping {
  const m = zone.gpuTypes[gpuType];
  if (!m) {
    throw new InferscaleError(
      'invalid_argument',
      `gpuType: zone "${zone.name}" has no ${gpuType} GPUs (has: ${Object.keys(zone.gpuTypes).join(', ') || 'none'})`,
      { field: 'gpuType' },
    );
  }
  return m;
}

/** Each label alternative becomes one nodeSelectorTerm; Kubernetes ORs the terms, ANDs inside one. */
export function nodeSelectorTerms(m: GpuTypeMapping): V1NodeSelectorTerm[] {
  return m.match.map((alt) => ({
    matchExpressions: Object.entries(alt).map(([key, values]) => (values.length ? { key, operator: 'In', values: [...values] } : { key, operator: 'Exists' })),
  }));
}

/** GPU nodes are usually tainted nvidia.com/gpu:NoSchedule (GKE, EKS AMIs, GPU operator, Karpenter NodePools). */
function tolerations(zone: KubernetesZoneConfig, m: GpuTypeMapping): V1Toleration[] {
  const own: V1Toleration[] = [{ key: m.resource, operator: 'Exists', effect: 'NoSchedule' }];
  return [...own, ...zone.tolerations.map((t) => ({ ...t }))];
}

export function commonLabels(spec: Pick<WorkloadSpec, 'name' | 'labels' | 'gpuType'>): Record<string, string> {
  return { ...spec.labels, [LABEL_NAME]: 'inferscale-replica', [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_DEPLOYMENT]: spec.name, [LABEL_GPU_TYPE]: spec.gpuType };
}

function podTemplate(zone: KubernetesZoneConfig, spec: WorkloadSpec): V1PodTemplateSpec {
  const m = gpuMapping(zone, spec.gpuType);
  const drainSeconds = Math.ceil(spec.drainTimeoutMs / 1000);
  const spot = spec.capacity && zone.spot;
  const terms = spot ? termsOn(nodeSelectorTerms(m), spot, spec.capacity!) : nodeSelectorTerms(m);
  // none on other pods, so their template (and workload name) is what it was before spot was declared
  const spread = spot ? spotSpread(spec.capacity!, { [LABEL_DEPLOYMENT]: spec.name, [LABEL_MANAGED_BY]: MANAGED_BY }) : [];
  return {
    metadata: {
      labels: spot ? { ...commonLabels(spec), [LABEL_CAPACITY]: spec.capacity! } : commonLabels(spec),
      annotations: zone.doNotDisrupt ? { [ANNOTATION_DO_NOT_DISRUPT]: 'true' } : undefined,
    },
    spec: {
      initContainers: spec.model ? [modelFetchContainer(zone, spec.model)] : undefined,
      containers: [engineContainer(zone, spec)],
      // longer than the preStop wait plus the longest stream, so a drained engine is never cut off
      terminationGracePeriodSeconds: zone.preStopSeconds + drainSeconds + 15,
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
      tolerations: spot ? [...tolerations(zone, m), ...spotTolerations(spot, spec.capacity!)] : tolerations(zone, m),
      topologySpreadConstraints: spread.length ? spread : undefined,
      volumes: [{ name: 'dshm', emptyDir: { medium: 'Memory' } }, ...(spec.model ? [modelVolume(zone)] : [])],
      serviceAccountName: zone.serviceAccountName,
      imagePullSecrets: zone.imagePullSecrets.length ? zone.imagePullSecrets.map((name) => ({ name })) : undefined,
      enableServiceLinks: false,
    },
  };
}

export function renderWorkload(zone: KubernetesZoneConfig, spec: WorkloadSpec): RenderedWorkload {
  const template = podTemplate(zone, spec);
  const templateHash = shortHash(template);
  const workload = workloadName(spec.name, templateHash);
  const labels = commonLabels(spec);
  template.metadata!.labels![LABEL_TEMPLATE] = templateHash;
  const meta = (name: string) => ({ name, namespace: zone.namespace, labels: { ...labels } });
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { ...meta(workload), labels: { ...labels, [LABEL_TEMPLATE]: templateHash } },
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: { [LABEL_DEPLOYMENT]: spec.name, [LABEL_TEMPLATE]: templateHash } },
      template,
      // the template never changes (a new template is a new Deployment); inferscale rolls replicas itself
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      // pods may wait minutes for a GPU node and a model load: not a failed rollout
      progressDeadlineSeconds: 3600 + zone.modelLoadTimeoutSeconds,
      revisionHistoryLimit: 1,
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(spec.name),
    spec: {
      clusterIP: 'None',
      selector: { [LABEL_DEPLOYMENT]: spec.name, [LABEL_MANAGED_BY]: MANAGED_BY },
      ports: [{ name: 'http', port: zone.enginePort, targetPort: 'http', protocol: 'TCP' }],
      publishNotReadyAddresses: false,
    },
  };
  const pdb: V1PodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(spec.name),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: { [LABEL_DEPLOYMENT]: spec.name, [LABEL_MANAGED_BY]: MANAGED_BY } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
  return { workload, templateHash, deployment, service, pdb };
}
