/**
 * Stopping every local replica of a data dir: `inferscale down` (server stopped) and `inferscale server
 * --on-exit stop`. Each replica process gets SIGTERM (an engine finishes what it holds and exits), then
 * SIGKILL once its deployment's drain timeout has passed (at most `maxGraceMs`). A pid is signalled only
 * once the local provider has shown it to be the replica (src/providers/local/identity.ts): a pid the OS
 * gave to another program is left alone. Processes started as replicas of this data dir that no row
 * names (a crash between spawn and record) are stopped as well.
 */
import type { LocalProvider } from '../providers/local/provider.js';
import type { Store } from '../store/store.js';

export interface StopReplicasResult {
  /** replicas of the store's rows that were stopped (or found gone) */
  replicas: number;
  /** processes of this data dir that no row named */
  orphans: number;
}

export async function stopLocalReplicas(
  store: Pick<Store, 'listLiveReplicas' | 'getDeployment'>,
  provider: Pick<LocalProvider, 'stop' | 'sweepOrphans'>,
  o: { maxGraceMs: number },
): Promise<StopReplicasResult> {
  // replicas of Kubernetes zones have no local port: their pods are not this machine's to stop
  const rows = store.listLiveReplicas().filter((r) => r.port !== null);
  const grace = (deploymentId: string) => Math.min(store.getDeployment(deploymentId)?.drainTimeoutMs ?? o.maxGraceMs, o.maxGraceMs);
  await Promise.all(rows.map((r) => provider.stop({ replicaId: r.id, pid: r.pid, pidStart: r.pidStart, port: r.port!, url: '' }, grace(r.deploymentId))));
  const orphans = await provider.sweepOrphans(() => false, o.maxGraceMs);
  return { replicas: rows.length, orphans: orphans.length };
}
