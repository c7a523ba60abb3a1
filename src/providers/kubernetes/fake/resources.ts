/** The kinds of object the fake API serves, by plural name. */
import { ApiStatusError } from './errors.js';
import { inferenceDeploymentCrd } from '../crd.js';

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
  /** has a status subresource: writes to the object keep status, writes to /status keep the rest */
  status: boolean;
  /** has a scale subresource (autoscaling/v1 Scale): where it reads and writes the counts, as in a CRD's `subresources.scale` */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

const DEPLOYMENT_SCALE = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' };

export const RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, status: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, status: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, status: false },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, status: false },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false, status: true },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, status: false },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, status: true, scale: DEPLOYMENT_SCALE },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, status: true },
  { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true, status: true },
  { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: true, status: true },
  { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true, status: false },
  { group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects', kind: 'ScaledObject', namespaced: true, status: true },
  {
    group: 'inferscale.dev',
    version: 'v1alpha1',
    plural: 'inferencedeployments',
    kind: 'InferenceDeployment',
    namespaced: true,
    status: true,
    // as the CRD declares it (src/providers/kubernetes/crd.ts)
    scale: inferenceDeploymentCrd().spec.versions[0].subresources!.scale!,
  },
];

export function resourceByPlural(plural: string): ResourceType {
  const r = RESOURCES.find((x) => x.plural === plural);
  if (!r) throw new ApiStatusError(404, 'NotFound', `the server could not find the requested resource (${plural})`);
  return r;
}
