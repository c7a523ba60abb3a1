/**
 * Gateways that do not lead report their load to the leader, whose autoscaler decides for all of them.
 * Every second (and at once when a request arrives at zero) a follower posts, per deployment, what its
 * gateway holds now (ongoing, queued) and what happened since its last successful report (arrivals, TTFT
 * and wait values, prefill and completion sums: src/gateway/window-stats.ts). The leader keeps the latest report of each gateway; one older than STALE_MS counts as gone
 * (that gateway stopped), so a dead follower's last numbers do not hold replicas up.
 */
import { z } from 'zod';
import type { Clock, Timer } from '../core/clock.js';
import { addWindow, takeWindow, type RemoteWindow } from '../history/window.js';
import { emptyWindow, WINDOW_TOTALS, type Window } from '../gateway/window-stats.js';
import type { RouteTable } from '../gateway/route-table.js';
import type { RequestRow } from '../gateway/request-log.js';
import { REQUEST_ID_MAX_LENGTH } from '../gateway/request-id.js';
import { copyCursorSchema, type CopyCursor } from './copy.js';

export const STALE_MS = 5_000;
const MAX_TTFT_PER_REPORT = 5_000;
const MAX_REQUESTS_PER_REPORT = 20_000;

/** the window's sums other than arrivals (window-stats.ts), each optional on the wire */
const windowSums = Object.fromEntries(WINDOW_TOTALS.filter((k) => k !== 'arrivals').map((k) => [k, z.number().min(0).optional()])) as Record<
  Exclude<(typeof WINDOW_TOTALS)[number], 'arrivals'>,
  z.ZodOptional<z.ZodNumber>
>;

export const gatewayReportSchema = z.object({
  gateway: z.string().min(1).max(253),
  deployments: z
    .array(
      z.object({
        id: z.string().min(1),
        ongoing: z.number().int().min(0),
        queued: z.number().int().min(0),
        arrivals: z.number().int().min(0),
        ttftMs: z.array(z.number().min(0)).max(MAX_TTFT_PER_REPORT),
        // added later: optional, so gateways of different versions interoperate (a missing part counts as none)
        waitMs: z.array(z.number().min(0)).max(MAX_TTFT_PER_REPORT).optional(),
        ...windowSums,
      }),
    )
    .max(10_000),
  /** deployments with requests held at zero: the leader's autoscaler decides at once */
  wake: z.array(z.string()).max(10_000).default([]),
  /** the follower's request log rows since its last report (the leader keeps them for replay); the 7th: x-request-id */
  requests: z
    .array(
      z.tuple([
        z.string(),
        z.number(),
        z.number().int().min(0),
        z.number().int().min(0),
        z.number().min(0).nullable(),
        z.number().int(),
        z.string().max(REQUEST_ID_MAX_LENGTH).nullable().optional(),
      ]),
    )
    .max(MAX_REQUESTS_PER_REPORT)
    .default([]),
  /** where the follower's copy of the leader's history stands (copy.ts); the answer carries the next rows */
  copy: copyCursorSchema.optional(),
});
export type GatewayReport = z.infer<typeof gatewayReportSchema>;

export interface RemoteLoad {
  ongoing: number;
  queued: number;
}

/** The leader's side: the latest report of every follower gateway. */
export class RemoteSignals {
  /** per gateway: its latest report, and the rows of the leader's history it still had to copy then (copy.ts) */
  private readonly latest = new Map<string, { at: number; load: Map<string, RemoteLoad>; copyRowsLeft: number | null }>();
  private readonly pending = new Map<string, Window & { tokens: number }>();

  /** `onRequests`: the followers' request log rows (the leader writes them to its own log) */
  constructor(
    private readonly clock: Clock,
    private readonly onRequests?: (rows: readonly RequestRow[]) => void,
    private readonly staleMs = STALE_MS,
  ) {}

  private bucket(id: string) {
    let p = this.pending.get(id);
    if (!p) this.pending.set(id, (p = { ...emptyWindow(), tokens: 0 }));
    return p;
  }

  /** Records a report; returns the deployments to wake. */
  receive(r: GatewayReport): string[] {
    const load = new Map<string, RemoteLoad>();
    for (const d of r.deployments) {
      load.set(d.id, { ongoing: d.ongoing, queued: d.queued });
      const { id, ongoing, queued, ...w } = d;
      if (!d.arrivals && !d.ttftMs.length && !d.completions) continue;
      addWindow(this.bucket(id), w, MAX_TTFT_PER_REPORT);
    }
    this.latest.set(r.gateway, { at: this.clock.now(), load, copyRowsLeft: null });
    for (const row of r.requests) if (row[5] === 200) this.bucket(row[0]).tokens += row[3];
    if (r.requests.length) this.onRequests?.(r.requests);
    return r.wake;
  }

  /** What the fresh follower gateways hold now for a deployment. */
  current(deploymentId: string): RemoteLoad {
    const now = this.clock.now();
    const sum = { ongoing: 0, queued: 0 };
    for (const [gw, rep] of this.latest) {
      if (now - rep.at > this.staleMs) {
        this.latest.delete(gw);
        continue;
      }
      const l = rep.load.get(deploymentId);
      if (!l) continue;
      sum.ongoing += l.ongoing;
      sum.queued += l.queued;
    }
    return sum;
  }

  /** `current` plus the window reported since the previous take (one consumer: the sampler). */
  take(deploymentId: string): RemoteWindow {
    const p = this.pending.get(deploymentId) ?? { ...emptyWindow(), tokens: 0 };
    this.pending.delete(deploymentId);
    return { ...p, ...this.current(deploymentId) };
  }

  /** Records how many history rows a gateway has left to copy after the batch just sent to it. */
  copied(gateway: string, rowsLeft: number): void {
    const r = this.latest.get(gateway);
    if (r) r.copyRowsLeft = rowsLeft;
  }

  /** The follower gateways heard from within the stale window, with the age of their last report and their history copy's rows left. */
  gateways(): { gateway: string; ageMs: number; copyRowsLeft: number | null }[] {
    const now = this.clock.now();
    return [...this.latest].filter(([, r]) => now - r.at <= this.staleMs).map(([gateway, r]) => ({ gateway, ageMs: now - r.at, copyRowsLeft: r.copyRowsLeft }));
  }
}

export interface SignalReporterOptions {
  routes: RouteTable;
  /** the server's wake fan-out: diverted to the leader while this follower reports */
  wakes: { divert(fn: (deploymentId: string) => void): () => void };
  clock: Clock;
  /** this gateway's name (the pod name) */
  identity: string;
  /** the leader's URL, when one is known */
  leaderUrl: () => string | undefined;
  /** the servers' internal credential (derived from the server secret; never the admin token) */
  internalToken: string;
  log: (line: string) => void;
  intervalMs?: number;
  /** the follower's copy of the leader's history (copy.ts): its position goes with each report, the answer's rows are written */
  copy?: { cursor(): CopyCursor; apply(batch: unknown): boolean };
  /** called for each report that failed */
  onFailure?: () => void;
}

/** A follower's side: reports its gateway's load to the leader. */
export class SignalReporter {
  private timer?: Timer;
  private stopped = true;
  private sending?: Promise<void>;
  private readonly unsent = new Map<string, Window>();
  private readonly wakes = new Set<string>();
  private requests: RequestRow[] = [];
  private failing = false;
  /** the leader has more history rows to copy: report again at once */
  private catchingUp = false;
  private undivert?: () => void;

  constructor(private readonly o: SignalReporterOptions) {}

  start(): void {
    this.stopped = false;
    this.undivert = this.o.wakes.divert((id) => this.wake(id));
    this.schedule();
  }

  async stop(): Promise<void> {
    if (!this.stopped) this.undivert?.();
    this.stopped = true;
    this.timer?.cancel();
    await this.sending;
  }

  /** A request log row of this gateway: sent with the next report. */
  addRequest(row: RequestRow): void {
    this.requests.push(row);
    if (this.requests.length > MAX_REQUESTS_PER_REPORT) this.requests.splice(0, this.requests.length - MAX_REQUESTS_PER_REPORT);
  }

  /** The rows not sent yet (this replica becomes the leader: they go to its own log). */
  takeRequests(): RequestRow[] {
    const rows = this.requests;
    this.requests = [];
    return rows;
  }

  /** A request is held at zero: tell the leader now, not at the next report. */
  wake(deploymentId: string): void {
    this.wakes.add(deploymentId);
    void this.send();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => void this.send().finally(() => this.schedule()), this.catchingUp ? 0 : (this.o.intervalMs ?? 1000));
  }

  /** One report (coalesced with one in flight). Exposed for tests. */
  send(): Promise<void> {
    if (this.sending) return this.sending.then(() => (this.wakes.size ? this.send() : undefined));
    this.sending = this.post().finally(() => (this.sending = undefined));
    return this.sending;
  }

  private async post(): Promise<void> {
    const report: GatewayReport = { gateway: this.o.identity, deployments: [], wake: [...this.wakes], requests: [] };
    this.wakes.clear();
    for (const route of this.o.routes.all()) {
      let u = this.unsent.get(route.id);
      if (!u) this.unsent.set(route.id, (u = emptyWindow()));
      addWindow(u, takeWindow(route, 'leader'), MAX_TTFT_PER_REPORT);
      report.deployments.push({
        id: route.id,
        ongoing: route.admission.ongoing,
        queued: route.admission.queued,
        ...u,
        ttftMs: [...u.ttftMs],
        waitMs: [...u.waitMs],
      });
    }
    const leader = this.o.leaderUrl();
    if (!leader) return;
    report.requests = this.requests;
    this.requests = [];
    report.copy = this.o.copy?.cursor();
    let answer: { copy?: unknown } = {};
    try {
      const res = await fetch(`${leader}/api/v1/internal/gateway-signals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.internalToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(report),
        signal: AbortSignal.timeout(2_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      answer = JSON.parse(text);
      this.unsent.clear();
      if (this.failing) this.o.log(`signals: reporting to the leader at ${leader} again`);
      this.failing = false;
    } catch (e) {
      // keep the rows for the next report (the newest, up to the cap)
      for (const row of this.requests) report.requests.push(row);
      this.requests = report.requests;
      if (this.requests.length > MAX_REQUESTS_PER_REPORT) this.requests.splice(0, this.requests.length - MAX_REQUESTS_PER_REPORT);
      this.o.onFailure?.();
      if (!this.failing) this.o.log(`signals: cannot report to the leader at ${leader}: ${(e as Error).message}; retrying every second`);
      this.failing = true;
      this.catchingUp = false;
      return;
    }
    this.catchingUp = false;
    if (answer.copy === undefined || !this.o.copy) return;
    try {
      this.catchingUp = this.o.copy.apply(answer.copy);
    } catch (e) {
      this.o.log(`signals: cannot copy the leader's history rows: ${(e as Error).message}`);
    }
  }
}
