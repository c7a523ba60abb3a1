import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { copyFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { invalid } from '../../core/errors.js';
import type { EngineDriver } from '../../engines/types.js';
import type { GpuDevice } from '../../placement/inventory.js';
import {
  LOCAL_COLD_START_MS,
  type ExitInfo,
  type ProbeResult,
  type ProviderCapabilities,
  type ReplicaAddress,
  type ReplicaHandle,
  type ReplicaProvider,
  type SleepHint,
  type SleepResult,
} from '../types.js';
import { hostRamOfSleep } from './sleep-ram.js';
import { withSleepMode } from '../../engines/command/template.js';
import { sleepReplica, wakeReplica } from './sleep.js';
import { freePort } from './ports.js';
import { replicaEnv } from './replica-env.js';
import { tailFile } from './logs.js';
import { processIdentity, REPLICA_ID_ENV, REPLICA_OWNER_ENV, type ProcessIdentity } from './identity.js';

export interface LocalProviderOptions {
  clock: Clock;
  logDir: string;
  host?: string;
  /** this machine's GPUs, which the controller places replicas on (none: no capacity) */
  inventory?: readonly GpuDevice[];
  /** how a pid is shown to be a replica we started (default: this platform's, identity.ts) */
  identity?: ProcessIdentity;
  /** who starts these replicas (the data dir): set in each replica's environment, so orphans can be found */
  owner?: string;
  /** a replica's log file past this size is rotated (copied to `.1`, then emptied; default 64 MiB) */
  logMaxBytes?: number;
  /** log files not written for this long (replicas long gone) are deleted (default 7 days) */
  logMaxAgeMs?: number;
}

const LOCAL_CAPABILITIES: ProviderCapabilities = {
  placement: 'local-gpus',
  model: 'stored-file',
  engineKey: true,
  waitsForCapacity: false,
  defaultColdStartMs: LOCAL_COLD_START_MS,
  sleep: true,
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Replicas as local processes. Each one runs detached in its own process group with its output
 * appended to `<logDir>/<deployment>/<replica>.log`, so it outlives a server restart and is adopted
 * by the next server instead of being restarted. A pid is adopted or signalled only once its process is
 * shown to be the replica (identity.ts): a pid the OS gave to another program is treated as gone.
 */
export class LocalProvider implements ReplicaProvider {
  readonly capabilities = LOCAL_CAPABILITIES;
  private readonly host: string;
  private readonly listeners: ((i: ExitInfo) => void)[] = [];
  /** replicas we started or adopted and still watch, by pid */
  private readonly watched = new Map<number, string>();
  private pollTimer?: { cancel(): void };
  private readonly identity: ProcessIdentity;

  constructor(private readonly opts: LocalProviderOptions) {
    this.host = opts.host ?? '127.0.0.1';
    this.identity = opts.identity ?? processIdentity();
  }

  /** Whether the handle's pid is alive and is this replica's process (not a reused pid). */
  private owns(h: ReplicaHandle): h is ReplicaHandle & { pid: number } {
    return h.pid !== null && alive(h.pid) && this.identity.isReplica(h.pid, h.replicaId, h.pidStart);
  }

  async start(replicaId: string, deploymentName: string, driver: EngineDriver, launch: Parameters<ReplicaProvider['start']>[3]): Promise<ReplicaHandle> {
    const port = await freePort(this.host);
    const plain = driver.command({ ...launch, host: this.host, port });
    const cmd = launch.sleepMode ? withSleepMode(driver.name, plain) : plain;
    const dir = join(this.opts.logDir, deploymentName);
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, `${replicaId}.log`), 'a');
    try {
      const child = spawn(cmd.command, cmd.args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        // an allow-list of the server's environment (replica-env.ts), then the engine's own
        env: { ...replicaEnv(process.env), ...cmd.env, [REPLICA_ID_ENV]: replicaId, ...(this.opts.owner ? { [REPLICA_OWNER_ENV]: this.opts.owner } : {}) },
      });
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid!));
        child.once('error', reject);
      });
      child.once('exit', (code, signal) => {
        // a replica we stopped ourselves is not reported: only exits on their own are
        if (this.watched.delete(pid)) this.emit({ replicaId, code, signal });
      });
      child.unref();
      this.watched.set(pid, replicaId);
      this.ensurePolling();
      return { replicaId, pid, pidStart: this.identity.startOf(pid) ?? null, port, url: `http://${this.host}:${port}` };
    } finally {
      closeSync(fd);
    }
  }

  replicaUrl(r: ReplicaAddress): string | undefined {
    return r.port === null ? undefined : `http://${this.host}:${r.port}`;
  }

  capacity(gpuType: string): number {
    return (this.opts.inventory ?? []).filter((g) => g.type === gpuType).length;
  }

  gpuTypeFor(requested: string | undefined): string {
    if (requested !== undefined) return requested;
    const types = [...new Set((this.opts.inventory ?? []).map((g) => g.type))];
    if (types.length === 1) return types[0];
    if (types.length === 0) throw invalid('gpuType', 'this server has no GPU; start it with --virtual-gpus N');
    throw invalid('gpuType', `is required on a machine with several GPU types (${types.join(', ')})`);
  }

  /** a local replica has nothing to wait for but its engine */
  describe(): string | undefined {
    return undefined;
  }

  waitingForCapacity(): boolean {
    return false;
  }

  /** replicas are processes, stopped one by one; their log files are kept (maintainLogs ages them out) */
  async removeDeployment(): Promise<void> {}

  async probe(h: ReplicaHandle, driver: EngineDriver): Promise<ProbeResult> {
    if (h.pid !== null && !alive(h.pid)) return 'gone';
    try {
      const res = await fetch(h.url + driver.healthPath, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.ok ? 'ready' : 'starting';
    } catch {
      return h.pid !== null && alive(h.pid) ? 'starting' : 'gone';
    }
  }

  async stop(h: ReplicaHandle, graceMs: number): Promise<void> {
    if (h.pid !== null) this.watched.delete(h.pid);
    // gone, or its pid now another program's: nothing of ours to stop
    if (!this.owns(h)) return;
    const pid = h.pid;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-pid, s);
      } catch {
        try {
          process.kill(pid, s);
        } catch {
          /* already gone */
        }
      }
    };
    signal('SIGTERM');
    const deadline = this.opts.clock.now() + graceMs;
    while (alive(pid) && this.opts.clock.now() < deadline) await this.opts.clock.sleep(50);
    if (alive(pid)) signal('SIGKILL');
    while (alive(pid)) await this.opts.clock.sleep(20);
  }

  /**
   * The engine's own sleep endpoint (sleep.ts); a replica whose process is not ours cannot sleep. Host RAM: the
   * engine's figure, else an estimate from `hint` (sleep-ram.ts: vLLM says nothing).
   */
  async sleep(h: ReplicaHandle, driver: EngineDriver, apiKey?: string, hint?: SleepHint): Promise<SleepResult> {
    if (!this.owns(h)) throw invalid('replica', `replica ${h.replicaId} has no process of its own to put to sleep`);
    return hostRamOfSleep(await sleepReplica(h, driver, apiKey), hint);
  }

  wake(h: ReplicaHandle, driver: EngineDriver, apiKey?: string): Promise<void> {
    if (!this.owns(h)) return Promise.reject(invalid('replica', `replica ${h.replicaId} has no process of its own to wake`));
    return wakeReplica(h, driver, apiKey);
  }

  adopt(h: ReplicaHandle): boolean {
    if (!this.owns(h)) return false;
    this.watched.set(h.pid, h.replicaId);
    this.ensurePolling();
    return true;
  }

  /**
   * Stops every process started as a replica of this owner that no live replica row owns: `owned` says
   * whether a (replica id, pid) pair is a live row's. Such an orphan is left by a crash between spawning a
   * replica and recording its pid; its GPUs are free in the store and would be handed out again. Stops
   * them like `stop` (SIGTERM to the group, SIGKILL after `graceMs`) and returns what it stopped.
   */
  async sweepOrphans(owned: (replicaId: string, pid: number) => boolean, graceMs: number): Promise<{ pid: number; replicaId: string }[]> {
    if (!this.opts.owner) return [];
    const orphans = this.identity.replicasOf(this.opts.owner).filter((p) => p.pid !== process.pid && !owned(p.replicaId, p.pid));
    await Promise.all(orphans.map((o) => this.stop({ replicaId: o.replicaId, pid: o.pid, pidStart: null, port: 0, url: '' }, graceMs)));
    return orphans;
  }

  onExit(listener: (info: ExitInfo) => void): void {
    this.listeners.push(listener);
  }

  logs(deploymentName: string, replicaId: string, lines: number): Promise<string[]> {
    return tailFile(join(this.opts.logDir, deploymentName, `${replicaId}.log`), lines);
  }

  /**
   * Keeps the replicas' log files bounded: a file past `logMaxBytes` is copied to `<file>.1` (replacing the
   * previous one) and emptied in place, which the replica, writing with O_APPEND, carries on after (a line
   * written between the copy and the emptying may be lost); files not written for `logMaxAgeMs` are deleted.
   */
  async maintainLogs(): Promise<void> {
    const max = this.opts.logMaxBytes ?? 64 * 2 ** 20;
    const maxAge = this.opts.logMaxAgeMs ?? 7 * 86_400_000;
    const now = this.opts.clock.now();
    for (const dir of await readdir(this.opts.logDir).catch(() => [] as string[])) {
      const d = join(this.opts.logDir, dir);
      for (const f of await readdir(d).catch(() => [] as string[])) {
        if (!f.endsWith('.log') && !f.endsWith('.log.1')) continue;
        const p = join(d, f);
        const st = await stat(p).catch(() => undefined);
        if (!st?.isFile()) continue;
        if (now - st.mtimeMs > maxAge) await rm(p, { force: true });
        else if (f.endsWith('.log') && st.size > max) {
          await copyFile(p, `${p}.1`);
          await truncate(p, 0);
        }
      }
    }
  }

  /** Adopted processes are not our children: poll them for exit. Log files are kept bounded once a minute. */
  private ensurePolling(): void {
    if (this.pollTimer) return;
    let logsAt = 0;
    const tick = () => {
      for (const [pid, replicaId] of this.watched) {
        if (!alive(pid)) {
          this.watched.delete(pid);
          this.emit({ replicaId, code: null, signal: null });
        }
      }
      if (this.opts.clock.now() - logsAt >= 60_000) {
        logsAt = this.opts.clock.now();
        void this.maintainLogs().catch(() => undefined);
      }
      this.pollTimer = this.opts.clock.setTimeout(tick, 1000);
    };
    this.pollTimer = this.opts.clock.setTimeout(tick, 1000);
  }

  close(): void {
    this.pollTimer?.cancel();
  }

  private emit(info: ExitInfo): void {
    for (const l of this.listeners) l(info);
  }
}
