import { estimateColdStartMs } from '../autoscaler/coldstart.js';
import type { Store } from '../store/store.js';

export interface ColdStartSources {
  store: Pick<Store, 'getDeployment' | 'recentColdStarts'>;
  /** the cold start a zone assumes before one was measured (zones/registry.ts: local, plus node provisioning on Kubernetes) */
  zoneDefaultMs: (zone: string) => number;
  /** an HA follower: the leader's estimate from the cluster, for a deployment it has no row of */
  clusterMs: (deploymentId: string) => number | undefined;
}

/**
 * The cold start a deployment's next replica is expected to take, ms: the median of its measured cold
 * starts, else its zone's default. One function, built once by the server and handed to the gateway
 * (Retry-After), the autoscaler (the policy's pre-warm horizon) and the HA mirror (followers' Retry-After),
 * so all three agree.
 */
export function coldStartEstimate(o: ColdStartSources): (deploymentId: string) => number {
  return (id) => {
    const d = o.store.getDeployment(id);
    if (!d) return o.clusterMs(id) ?? o.zoneDefaultMs('local');
    return estimateColdStartMs(o.store.recentColdStarts(id), o.zoneDefaultMs(d.zone));
  };
}
