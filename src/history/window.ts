/**
 * The one reader of the gateway's per-deployment window counters (`DeploymentRoute.stats.arrivals` and
 * `.ttftMs`). The gateway only adds to them; whoever reads them must reset them, so two independent
 * readers would each see part of the traffic. `takeWindow` drains the route's counters into a buffer per
 * consumer and hands the caller its own buffer: the history sampler ("history") and the autoscaler loop
 * ("autoscaler") both see every arrival and every TTFT, each since its own previous call.
 *
 * Rules: never touch `route.stats.arrivals` / `route.stats.ttftMs` anywhere else; call `takeWindow` with a
 * stable consumer name, about once a second. A consumer that stops calling keeps at most
 * MAX_TTFT_PER_CONSUMER TTFT values (the newest) and an arrival count.
 */
import type { DeploymentRoute } from '../gateway/routes.js';
import type { LoadSample } from '../autoscaler/types.js';

export const MAX_TTFT_PER_CONSUMER = 20_000;

export interface Window {
  /** requests that arrived since this consumer's previous call */
  arrivals: number;
  /** time to first token (ms) of requests that got their first token since the previous call */
  ttftMs: number[];
}

type RouteLike = Pick<DeploymentRoute, 'stats'>;

const buffers = new WeakMap<RouteLike, Map<string, Window>>();

/** Drains `route.stats` into every known consumer's buffer and returns (and clears) `consumer`'s. */
export function takeWindow(route: RouteLike, consumer = 'history'): Window {
  let byConsumer = buffers.get(route);
  if (!byConsumer) buffers.set(route, (byConsumer = new Map()));
  if (!byConsumer.has(consumer)) byConsumer.set(consumer, { arrivals: 0, ttftMs: [] });
  const { arrivals, ttftMs } = route.stats;
  if (arrivals || ttftMs.length) {
    route.stats.arrivals = 0;
    route.stats.ttftMs = [];
    for (const w of byConsumer.values()) {
      w.arrivals += arrivals;
      for (const t of ttftMs) w.ttftMs.push(t);
      if (w.ttftMs.length > MAX_TTFT_PER_CONSUMER) w.ttftMs.splice(0, w.ttftMs.length - MAX_TTFT_PER_CONSUMER);
    }
  }
  const mine = byConsumer.get(consumer)!;
  byConsumer.set(consumer, { arrivals: 0, ttftMs: [] });
  return mine;
}

/** The q-quantile (0..1) of `values` by nearest rank; undefined when empty. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

type SampledRoute = RouteLike & { admission: Pick<DeploymentRoute['admission'], 'ongoing' | 'queued'> };

/**
 * A LoadSample of `route` at `now`: ongoing and queued as they are now (instantaneous, not averaged),
 * arrivals and TTFT p95 since `consumer`'s previous call. Returns the raw TTFT values as well.
 */
export function loadSample(route: SampledRoute, now: number, consumer = 'history'): LoadSample & { ttftMs: number[] } {
  const w = takeWindow(route, consumer);
  const s: LoadSample & { ttftMs: number[] } = {
    at: now,
    ongoing: route.admission.ongoing,
    queued: route.admission.queued,
    arrivals: w.arrivals,
    ttftMs: w.ttftMs,
  };
  const p95 = quantile(w.ttftMs, 0.95);
  if (p95 !== undefined) s.ttftP95Ms = p95;
  return s;
}

/** What other gateways reported for a deployment (src/cluster/signals.ts). */
export interface RemoteWindow {
  ongoing: number;
  queued: number;
  arrivals: number;
  ttftMs: number[];
  /** completion tokens the other gateways served */
  tokens?: number;
}

/** A sample of this gateway plus the others' load: counts add up, the TTFT p95 is taken over all values. */
export function withRemote(s: LoadSample & { ttftMs: number[] }, r: RemoteWindow): LoadSample & { ttftMs: number[] } {
  if (!r.ongoing && !r.queued && !r.arrivals && !r.ttftMs.length) return s;
  const ttftMs = r.ttftMs.length ? [...s.ttftMs, ...r.ttftMs] : s.ttftMs;
  const out: LoadSample & { ttftMs: number[] } = { at: s.at, ongoing: s.ongoing + r.ongoing, queued: s.queued + r.queued, arrivals: s.arrivals + r.arrivals, ttftMs };
  const p95 = quantile(ttftMs, 0.95);
  if (p95 !== undefined) out.ttftP95Ms = p95;
  return out;
}
