/**
 * How this server runs: alone (it leads from the start) or as one replica of several on Kubernetes (a
 * Lease picks the leader: src/cluster). The mode supplies the leader gate (when `lead` and `unlead` run)
 * and the followers' load that the leader adds to its own gateway's; it is made before the gateway, so
 * nothing built later has to reach back for the cluster member.
 */
import type { Clock } from '../core/clock.js';
import type { ZoneRegistry } from '../zones/registry.js';
import type { RemoteLoad, RemoteSignals } from '../cluster/signals.js';
import type { RemoteWindow } from '../history/window.js';
import type { RequestLogRouting, RequestRow } from '../gateway/request-log.js';
import type { ClusterMember, ClusterMemberDeps, HaOptions, LeaderGate } from '../cluster/member.js';

/** What a member needs of this server besides the mode's own parts. */
export type MemberServices = Omit<ClusterMemberDeps, 'leader' | 'view'>;

export interface ServerMode {
  /** what the other gateways (HA followers) hold now for a deployment; none when alone */
  remoteLoad(deploymentId: string): RemoteLoad;
  /** the same plus their window since the previous take (the sampler's) */
  takeRemote(deploymentId: string): RemoteWindow;
  /** the leader's cold-start estimate of a deployment this server has no row of (an HA follower) */
  clusterColdStartMs(deploymentId: string): number | undefined;
  /** this replica's part in the cluster, once it runs (HA only) */
  member(): ClusterMember | undefined;
  /** where the gateway's request log rows go (HA: a follower's to the leader) and the followers' rows the leader receives */
  requestLog: RequestLogRouting;
  /** after each write of the REST API: the state goes to the cluster before the API answers (HA only) */
  afterWrite?: () => Promise<void>;
  /** Runs the leader gate: alone, leads at once; HA, joins the election. */
  run(gate: LeaderGate, services: MemberServices): Promise<void>;
  close(): Promise<void>;
}

const NO_REMOTE = { ongoing: 0, queued: 0, arrivals: 0, ttftMs: [] as number[] } as RemoteWindow;

/** A server alone: it leads from the start, and no other gateway reports load. */
export function singleServerMode(): ServerMode {
  return {
    remoteLoad: () => NO_REMOTE,
    takeRemote: () => NO_REMOTE,
    clusterColdStartMs: () => undefined,
    member: () => undefined,
    requestLog: {},
    run: (gate) => gate.lead(),
    close: async () => undefined,
  };
}

/** One replica of several: the cluster's view is read from the start; the member joins the election in `run`. */
export async function haMode(ha: HaOptions, base: { zones: ZoneRegistry; clock: Clock; log: (line: string) => void }): Promise<ServerMode> {
  const { ClusterMember, clusterView } = await import('../cluster/member.js');
  // the followers' request log rows, as the leader receives them with their load reports
  const remoteRows = new Set<(rows: readonly RequestRow[]) => void>();
  const view = clusterView(ha, base.zones, base.clock, base.log, (rows) => {
    for (const fn of remoteRows) fn(rows);
  });
  const signals: RemoteSignals = view.signals;
  let member: ClusterMember | undefined;
  return {
    remoteLoad: (id) => signals.current(id),
    takeRemote: (id) => signals.take(id),
    clusterColdStartMs: (id) => view.cluster.coldStartMs(id),
    member: () => member,
    requestLog: {
      divert: (row) => member?.divertRequest(row) ?? false,
      remoteRows: { subscribe: (fn) => void remoteRows.add(fn) },
    },
    afterWrite: () => member?.flush() ?? Promise.resolve(),
    async run(gate, services) {
      member = new ClusterMember(ha, { ...services, leader: gate, view });
      await member.start();
    },
    close: async () => member?.close(),
  };
}
