import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether a pid is still the replica process we started. A pid alone says nothing once its process has
 * ended: the OS gives the number to the next process, and signalling it (or its process group) would hit
 * an unrelated program. So before a replica is adopted or signalled, its process is identified by:
 * - Linux: its environment carries `INFERSCALE_REPLICA_ID=<id>` (set at spawn; /proc/PID/environ), and
 *   its start (boot id + start time in clock ticks, /proc/PID/stat field 22) is the one recorded at spawn
 *   when one was recorded;
 * - macOS and the BSDs (no /proc): its start (`ps -o lstart=`) is the one recorded at spawn;
 * - Windows, or when nothing can be read: it is not ours (never adopted, never signalled).
 */
export const REPLICA_ID_ENV = 'INFERSCALE_REPLICA_ID';
/** set at spawn to the data dir of the server that started the replica: whose replica a process is */
export const REPLICA_OWNER_ENV = 'INFERSCALE_REPLICA_OWNER';

export interface ProcessIdentity {
  /** a string that differs for any two processes ever given `pid`; undefined: gone or unknowable here */
  startOf(pid: number): string | undefined;
  /** whether `pid` is the replica `replicaId` (its start must equal `recordedStart` when that is known) */
  isReplica(pid: number, replicaId: string, recordedStart: string | null | undefined): boolean;
  /**
   * Every running process started as a replica of `owner` (a data dir): its environment carries both
   * REPLICA_OWNER_ENV=owner and REPLICA_ID_ENV. Linux only (/proc); elsewhere none are found.
   */
  replicasOf(owner: string): { pid: number; replicaId: string }[];
}

export function processIdentity(platform: NodeJS.Platform = process.platform): ProcessIdentity {
  const startOf = (pid: number) => (platform === 'linux' ? linuxStart(pid) : platform === 'win32' ? undefined : psStart(pid));
  return {
    startOf,
    isReplica(pid, replicaId, recordedStart) {
      const startMatches = () => !!recordedStart && startOf(pid) === recordedStart;
      if (platform !== 'linux') return startMatches();
      const env = environOf(pid);
      // a process of another user (EACCES) has no readable environment: only its start can tell
      if (env === undefined) return startMatches();
      if (!hasEnv(env, `${REPLICA_ID_ENV}=${replicaId}`)) return false;
      return !recordedStart || startMatches();
    },
    replicasOf(owner) {
      if (platform !== 'linux') return [];
      let pids: string[];
      try {
        pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
      } catch {
        return [];
      }
      const out: { pid: number; replicaId: string }[] = [];
      for (const p of pids) {
        const env = environOf(Number(p));
        if (!env || !hasEnv(env, `${REPLICA_OWNER_ENV}=${owner}`)) continue;
        const id = env
          .toString('latin1')
          .split('\0')
          .find((e) => e.startsWith(`${REPLICA_ID_ENV}=`));
        if (id) out.push({ pid: Number(p), replicaId: id.slice(REPLICA_ID_ENV.length + 1) });
      }
      return out;
    },
  };
}

let bootId: string | undefined;

function linuxStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // field 2 (comm) is in parentheses and may hold spaces and parentheses: count fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = fields[22 - 3];
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    return startTicks ? `${bootId}/${startTicks}` : undefined;
  } catch {
    return undefined;
  }
}

function psStart(pid: number): string | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

function environOf(pid: number): Buffer | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
}

/** Whether a NUL-separated environment holds exactly `entry`. */
function hasEnv(env: Buffer, entry: string): boolean {
  return env.toString('latin1').split('\0').includes(entry);
}
