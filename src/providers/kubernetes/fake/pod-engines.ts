/**
 * The fake kubelet's containers, for tests in which a pod's engine must really live and die with its pod
 * (issue #17's reclaim under load). Each pod the fake kubelet runs gets its own engine-simulator process
 * (`engines/sim/main.js`, a real process on its own loopback port); the pod turns Ready once that engine
 * answers /health. A deleted pod is stopped as the kubelet stops one: its preStop wait, then SIGTERM (the
 * simulator stops accepting connections and lets its in-flight requests finish), then SIGKILL once the grace
 * period is over, and only then is the pod object removed. A pod removed without that (its node died) has its
 * engine killed at once. The fake controllers must run with `autoReady: false, autoFinalize: false`, so that
 * readiness and the end of termination come from here. Verified only against the fake API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FakeCluster, KObj } from './cluster.js';
import type { FakeControllers } from './controllers.js';

const SIM_MAIN = fileURLToPath(new URL('../../../engines/sim/main.js', import.meta.url));
/** the simulator's first stdout line (engines/sim/main.ts LISTENING_PREFIX) */
const LISTENING = /INFERSCALE_SIM_LISTENING port=(\d+)/;
/** one line per answered request (engines/sim/sim-server.ts): `POST /v1/chat/completions 200 12ms` */
const SERVED = /^POST \/v1\/\S+ 200 /;

export interface PodEnginesOptions {
  /** the simulator's flags after `--host 127.0.0.1 --port 0` (e.g. `--model-name m --ttft-ms 5 --itl-ms 5`) */
  engineArgs: readonly string[];
  /** the preStop wait; default: the seconds of the pod's `sleep N` preStop hook (0 without one) */
  preStopMs?: number;
  /** SIGTERM to SIGKILL, counted from the deletion as the kubelet does; default: the pod's terminationGracePeriodSeconds */
  graceMs?: number;
  /** the longest an engine may take to listen and answer /health (default 10 s) */
  startTimeoutMs?: number;
}

/** How an engine process ended: its exit code, or the signal that killed it. */
export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** which signals it was sent, in order */
  sent: NodeJS.Signals[];
}

export interface PodEngine {
  namespace: string;
  pod: string;
  /** the node the pod ran on */
  node: string;
  port: number | undefined;
  pid: number | undefined;
  /** requests it answered with 200, from its request log lines */
  served: number;
  exit: EngineExit | undefined;
  /** resolves once the process has exited */
  exited: Promise<EngineExit>;
}

interface Entry extends PodEngine {
  child: ChildProcess;
  sent: NodeJS.Signals[];
  terminating: boolean;
  startedAt: number;
}

export class PodEngines {
  private readonly engines = new Map<string, Entry>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private scheduled = false;
  /** after the write that called it, not inside it (as the fake controllers do) */
  private readonly onWrite = (plural: string) => {
    if (plural !== 'pods' || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.sync();
    });
  };
  private closed = false;

  constructor(
    private readonly c: FakeCluster,
    private readonly controllers: FakeControllers,
    private readonly o: PodEnginesOptions,
  ) {
    c.afterWrite.add(this.onWrite);
    this.sync();
  }

  /** Where a pod's engine listens (undefined until it does): the zone's `podAddress` in tests. */
  addressOf(pod: string): { host: string; port: number } | undefined {
    const e = [...this.engines.values()].find((x) => x.pod === pod);
    return e?.port === undefined ? undefined : { host: '127.0.0.1', port: e.port };
  }

  /** Every engine started so far, those that have exited included. */
  all(): readonly PodEngine[] {
    return [...this.engines.values()];
  }

  /** The engines of the pods that ran on a node. */
  onNode(node: string): readonly PodEngine[] {
    return this.all().filter((e) => e.node === node);
  }

  /** Kills every engine still running (SIGKILL) and waits for them to exit. */
  async close(): Promise<void> {
    this.closed = true;
    this.c.afterWrite.delete(this.onWrite);
    for (const t of this.timers) clearTimeout(t);
    for (const e of this.engines.values()) if (!e.exit) this.signal(e, 'SIGKILL');
    await Promise.all([...this.engines.values()].map((e) => e.exited));
  }

  private sync(): void {
    if (this.closed) return;
    const pods = new Map(this.c.list('pods').items.map((p) => [p.metadata.uid!, p]));
    for (const [uid, e] of this.engines) {
      const p = pods.get(uid);
      // gone without the kubelet stopping it (a node deleted with its pods): the container dies with it
      if (!p && !e.exit && !e.terminating) this.signal(e, 'SIGKILL');
    }
    for (const [uid, p] of pods) {
      const e = this.engines.get(uid);
      if (p.metadata.deletionTimestamp) {
        if (!e) this.c.finalize('pods', p.metadata.namespace, p.metadata.name);
        else if (!e.terminating) this.terminate(e, p);
        continue;
      }
      if (!e && p.spec?.nodeName && p.status?.phase === 'Running') this.startEngine(uid, p);
    }
  }

  private startEngine(uid: string, p: KObj): void {
    const child = spawn(process.execPath, [SIM_MAIN, '--host', '127.0.0.1', '--port', '0', ...this.o.engineArgs], { stdio: ['ignore', 'pipe', 'ignore'] });
    let resolveExit!: (x: EngineExit) => void;
    const e: Entry = {
      namespace: p.metadata.namespace!,
      pod: p.metadata.name,
      node: p.spec.nodeName,
      port: undefined,
      pid: child.pid,
      served: 0,
      exit: undefined,
      exited: new Promise((r) => (resolveExit = r)),
      child,
      sent: [],
      terminating: false,
      startedAt: Date.now(),
    };
    this.engines.set(uid, e);
    child.once('exit', (code, signal) => {
      e.exit = { code, signal, sent: [...e.sent] };
      resolveExit(e.exit);
      if (e.terminating) this.c.finalize('pods', e.namespace, e.pod);
    });
    let buffered = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      buffered += d;
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        this.onLine(e, buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
  }

  private onLine(e: Entry, line: string): void {
    if (SERVED.test(line)) e.served++;
    const m = LISTENING.exec(line);
    if (!m) return;
    e.port = Number(m[1]);
    void this.markReadyWhenHealthy(e);
  }

  /** The readiness probe: /health answered ok, within the start bound (else the engine is killed, the pod stays not ready). */
  private async markReadyWhenHealthy(e: Entry): Promise<void> {
    const deadline = e.startedAt + (this.o.startTimeoutMs ?? 10_000);
    while (!e.exit && !e.terminating && !this.closed) {
      const ok = await fetch(`http://127.0.0.1:${e.port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) {
        if (this.c.tryGet('pods', e.namespace, e.pod) && !e.terminating) this.controllers.setPodReady(e.namespace, e.pod, true);
        return;
      }
      if (Date.now() > deadline) {
        this.signal(e, 'SIGKILL');
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The kubelet stopping a deleted pod: preStop, SIGTERM, SIGKILL at the end of the grace period; the pod goes when the process has exited. */
  private terminate(e: Entry, p: KObj): void {
    e.terminating = true;
    if (e.exit) {
      this.c.finalize('pods', e.namespace, e.pod);
      return;
    }
    const graceMs = this.o.graceMs ?? (p.metadata.deletionGracePeriodSeconds ?? p.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    const preStopMs = Math.min(graceMs, this.o.preStopMs ?? preStopSeconds(p) * 1000);
    this.after(preStopMs, () => this.signal(e, 'SIGTERM'));
    this.after(graceMs, () => this.signal(e, 'SIGKILL'));
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private signal(e: Entry, s: NodeJS.Signals): void {
    if (e.exit) return;
    e.sent.push(s);
    e.child.kill(s);
  }
}

/** The N of a `sleep N` preStop exec hook (what the inferscale pod template renders), else 0. */
function preStopSeconds(p: KObj): number {
  for (const c of p.spec?.containers ?? []) {
    const cmd: string[] = c.lifecycle?.preStop?.exec?.command ?? [];
    const m = /(?:^|\s)sleep\s+(\d+(?:\.\d+)?)/.exec(cmd.join(' '));
    if (m) return Number(m[1]);
  }
  return 0;
}
