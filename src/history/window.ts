/**
 * The one reader of the gateway's per-deployment window counters (`DeploymentRoute.stats`, see
 * src/gateway/window-stats.ts). The gateway only adds to them; whoever reads them must reset them, so two
 * independent readers would each see part of the traffic. `takeWindow` drains the route's counters into a
 * buffer per consumer and hands the caller its own buffer: the history sampler ("history") and an HA
 * follower's reporter ("leader") both see every request, each since its own previous call.
 *
 * Rules: never touch `route.stats` counters anywhere else; call `takeWindow` with a stable consumer name,
 * about once a second. A consumer that stops calling keeps at most MAX_TTFT_PER_CONSUMER TTFT (and wait)
 * values, the newest, and its sums.
 */
import type { DeploymentRoute } from '../gateway/route-table.js';
import type { LoadSample } from '../autoscaler/types.js';
import { emptyWindow, WINDOW_TOTALS, type Window } from '../gateway/window-stats.js';

export type { Window } from '../gateway/window-stats.js';

export const MAX_TTFT_PER_CONSUMER = 20_000;

type RouteLike = Pick<DeploymentRoute, 'stats'>;

const buffers = new WeakMap<RouteLike, Map<string, Window>>();

/**
 * Adds `from` to `into`: sums add, the TTFT and wait lists append and keep their newest `cap` values. A
 * part `from` lacks (a report of a server of an older version) counts as nothing.
 */
export function addWindow(into: Window, from: Partial<Window>, cap: number): void {
  for (const k of WINDOW_TOTALS) into[k] += from[k] ?? 0;
  append(into.ttftMs, from.ttftMs, cap);
  append(into.waitMs, from.waitMs, cap);
}

function append(into: number[], from: readonly number[] | undefined, cap: number): void {
  if (!from?.length) return;
  for (const v of from) into.push(v);
  if (into.length > cap) into.splice(0, into.length - cap);
}

function isEmpty(w: Window): boolean {
  return !w.ttftMs.length && !w.waitMs.length && WINDOW_TOTALS.every((k) => !w[k]);
}

/** Moves the route's counters out (they restart from zero). */
function drain(route: RouteLike): Window {
  const s = route.stats;
  const out = emptyWindow();
  for (const k of WINDOW_TOTALS) {
    out[k] = s[k];
    s[k] = 0;
  }
  out.ttftMs = s.ttftMs;
  out.waitMs = s.waitMs;
  s.ttftMs = [];
  s.waitMs = [];
  return out;
}

/** Drains `route.stats` into every known consumer's buffer and returns (and clears) `consumer`'s. */
export function takeWindow(route: RouteLike, consumer = 'history'): Window {
  let byConsumer = buffers.get(route);
  if (!byConsumer) buffers.set(route, (byConsumer = new Map()));
  if (!byConsumer.has(consumer)) byConsumer.set(consumer, emptyWindow());
  if (!isEmpty(route.stats)) {
    const drained = drain(route);
    for (const w of byConsumer.values()) addWindow(w, drained, MAX_TTFT_PER_CONSUMER);
  }
  const mine = byConsumer.get(consumer)!;
  byConsumer.set(consumer, emptyWindow());
  return mine;
}

/** The q-quantile (0..1) of `values` by nearest rank; undefined when empty. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** A LoadSample with the raw TTFT values of its window (the history keeps them in a histogram). */
export type WindowSample = LoadSample & { ttftMs: number[] };

/**
 * The LoadSample of a window: counts as they are, p95 of TTFT and of the wait for a slot, means of prefill,
 * prompt tokens, slot time and inter-token latency over the requests they were measured on. `completions`
 * is always said (0: none finished); a mean is absent when no request measured it. The one place a window
 * becomes a sample: the history sampler (through `loadSample`) and the simulator's LoadTracker both call it.
 */
export function intervalSample(w: Window, at: number, ongoing: number, queued: number): LoadSample {
  const s = emptySample(at, ongoing, queued, w.arrivals, w.completions);
  const ttft = quantile(w.ttftMs, 0.95);
  if (ttft !== undefined) s.ttftP95Ms = ttft;
  const wait = quantile(w.waitMs, 0.95);
  if (wait !== undefined) s.waitP95Ms = wait;
  if (w.firstTokens) {
    s.prefillMs = w.prefillMs / w.firstTokens;
    s.promptTokens = w.promptTokens / w.firstTokens;
  }
  if (w.completions) s.serviceMs = w.serviceMs / w.completions;
  if (w.itlRequests) s.itlMs = w.itlMs / w.itlRequests;
  return s;
}

/**
 * A sample with every field in one order (the measured ones undefined until set): policies read thousands of
 * samples a second in the simulator, and objects of one shape keep those reads fast (a shape per combination
 * of fields present made them about 3x slower on the 500 Azure functions).
 */
export function emptySample(at: number, ongoing: number, queued: number, arrivals: number, completions: number): LoadSample {
  return {
    at,
    ongoing,
    queued,
    arrivals,
    completions,
    ttftP95Ms: undefined,
    waitP95Ms: undefined,
    prefillMs: undefined,
    promptTokens: undefined,
    serviceMs: undefined,
    itlMs: undefined,
  };
}

/** intervalSample with the window's raw TTFT values (the history keeps them in a histogram). */
export function windowSample(w: Window, at: number, ongoing: number, queued: number): WindowSample {
  const s = intervalSample(w, at, ongoing, queued) as WindowSample;
  s.ttftMs = w.ttftMs;
  return s;
}

/** What other gateways reported for a deployment (src/cluster/signals.ts); parts added later are optional. */
export interface RemoteWindow extends Partial<Window> {
  ongoing: number;
  queued: number;
  arrivals: number;
  ttftMs: number[];
  /** completion tokens the other gateways served */
  tokens?: number;
}

type SampledRoute = RouteLike & {
  admission: Pick<DeploymentRoute['admission'], 'ongoing' | 'queued'>;
  replicas?: ReadonlyMap<string, { engine?: { waiting: number } }>;
};

/** The requests waiting in the engines' own queues, by their last scrape (src/gateway/engine-scraper.ts). */
export function engineWaiting(route: Pick<SampledRoute, 'replicas'>): number {
  let n = 0;
  for (const r of route.replicas?.values() ?? []) n += r.engine?.waiting ?? 0;
  return n;
}

/**
 * A LoadSample of `route` at `now`: ongoing and queued as they are now (instantaneous, not averaged), the
 * rest over the window since `consumer`'s previous call; plus what other gateways report (`remote`): counts
 * and sums add, percentiles are taken over all values. Returns the raw TTFT values as well.
 * A request sent to a replica but waiting in its engine's queue is not being served: the engines' waiting
 * counts move from `ongoing` to `queued` (at most all of `ongoing`: the total stays what the gateways hold).
 */
export function loadSample(route: SampledRoute | undefined, now: number, consumer = 'history', remote?: RemoteWindow): WindowSample {
  const w = route ? takeWindow(route, consumer) : emptyWindow();
  let ongoing = route?.admission.ongoing ?? 0;
  let queued = route?.admission.queued ?? 0;
  if (remote) {
    addWindow(w, remote, MAX_TTFT_PER_CONSUMER);
    ongoing += remote.ongoing;
    queued += remote.queued;
  }
  const waiting = route ? Math.min(engineWaiting(route), ongoing) : 0;
  return windowSample(w, now, ongoing - waiting, queued + waiting);
}
