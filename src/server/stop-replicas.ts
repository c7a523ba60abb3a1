/**
 * Stopping every local replica of a data dir: `inferscale down` (server stopped) and `inferscale server
 * --on-exit stop`. Each replica process gets SIGTERM (an engine finishes what it holds and exits), then
 * SIGKILL once its deployment's drain timeout has passed (at most `maxGraceMs`). A pid is signalled only
 * once the local provider has shown it to be the replica (src/providers/local/identity.ts): a pid the OS
 * gave to another program is left alone. Processes started as replicas of this data dir that no row
 * names (a crash between spawn and record) are stopped as well. The rows are marked stopped (their GPUs
 * free, an event says why), so the next server starts their replicas again instead of taking them for
 * crashed ones.
 */
import { processIdentity, type ProcessIdentity } from '../providers/local/identity.js';
import type { LocalProvider } from '../providers/local/provider.js';
import type { Store } from '../store/store.js';

export interface StopReplicasResult {
  /** replicas of the store's rows whose process was running (and is now stopped) */
  replicas: number;
  /** processes of this data dir that no row named */
  orphans: number;
}

export async function stopLocalReplicas(
  store: Pick<Store, 'listLiveReplicas' | 'getDeployment' | 'updateReplica' | 'addEvent'>,
  provider: Pick<LocalProvider, 'stop' | 'sweepOrphans'>,
  o: { maxGraceMs: number; now: () => number; why: string; identity?: ProcessIdentity },
): Promise<StopReplicasResult> {
  const identity = o.identity ?? processIdentity();
  // replicas of Kubernetes zones have no local port: their pods are not this machine's to stop
  const rows = store.listLiveReplicas().filter((r) => r.port !== null);
  const running = rows.filter((r) => r.pid !== null && identity.isReplica(r.pid, r.id, r.pidStart ?? null)).length;
  const grace = (deploymentId: string) => Math.min(store.getDeployment(deploymentId)?.drainTimeoutMs ?? o.maxGraceMs, o.maxGraceMs);
  await Promise.all(rows.map((r) => provider.stop({ replicaId: r.id, pid: r.pid, pidStart: r.pidStart, port: r.port!, url: '' }, grace(r.deploymentId))));
  const now = o.now();
  for (const r of rows) {
    store.updateReplica(r.id, { state: 'stopped', stateReason: o.why, stoppedAt: now, gpus: [] });
    store.addEvent(r.deploymentId, now, 'replica', `replica ${r.id} stopped: ${o.why}`);
  }
  const orphans = await provider.sweepOrphans(() => false, o.maxGraceMs);
  return { replicas: running, orphans: orphans.length };
}
