/**
 * A capacity model of one replica, learned online from what the feeder measures each second
 * (LoadSample: running requests per ready replica, inter-token latency, prefill time and prompt tokens,
 * slot time of finished requests), and the queueing arithmetic that turns it into a replica count.
 *
 *  - decode: ITL = a + c * batch (batch = requests running per ready replica), fitted by recursive least
 *    squares with forgetting (llm-d's workload-variant autoscaler fits the same line);
 *  - prefill: prefill = p0 + p1 * promptTokens, fitted the same way;
 *  - slot time: the mean time a request holds a slot (start to last token), an exponentially weighted mean.
 *
 * The fit's covariance says how sure it is (`confidence`: 0 before any data, towards 1 as samples agree).
 * Everything here is plain data and pure functions: the state is copied, never shared.
 */

/** A two-parameter recursive least-squares fit y = b0 + b1 * x, with forgetting factor LAMBDA per update. */
export interface Line {
  b0: number;
  b1: number;
  /** covariance [p00, p01, p11] */
  p: readonly [number, number, number];
  /** updates so far */
  n: number;
  /** exponentially weighted squared residual (for the spread of y around the line) */
  mse: number;
}

/** forgetting factor: an update's weight halves after ~700 updates (about 12 minutes of busy seconds) */
const LAMBDA = 0.999;
/** prior covariance: a large value means "the prior is a guess" */
const P0 = 1e3;

export function line(b0 = 0, b1 = 0): Line {
  return { b0, b1, p: [P0, 0, P0], n: 0, mse: 0 };
}

/** One RLS step with the point (x, y). x is scaled by the caller to keep the matrix well conditioned. */
export function fit(l: Line, x: number, y: number): Line {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return l;
  const [p00, p01, p11] = l.p;
  // P * phi with phi = [1, x]
  const g0 = p00 + p01 * x;
  const g1 = p01 + p11 * x;
  const denom = LAMBDA + g0 + g1 * x;
  const k0 = g0 / denom;
  const k1 = g1 / denom;
  const err = y - (l.b0 + l.b1 * x);
  // P = (P - k phi' P) / lambda
  const n00 = (p00 - k0 * g0) / LAMBDA;
  const n01 = (p01 - k0 * g1) / LAMBDA;
  const n11 = (p11 - k1 * g1) / LAMBDA;
  const n = l.n + 1;
  const mse = n === 1 ? err * err : 0.98 * l.mse + 0.02 * err * err;
  return { b0: l.b0 + k0 * err, b1: l.b1 + k1 * err, p: [n00, n01, Math.max(n11, 1e-12)], n, mse };
}

export function predict(l: Line, x: number): number {
  return l.b0 + l.b1 * x;
}

export interface CapacityModel {
  /** ITL (ms) against batch / BATCH_SCALE */
  itl: Line;
  /** prefill (ms) against prompt tokens / PROMPT_SCALE */
  prefill: Line;
  /** mean slot time (ms) of finished requests, and how many requests it is made of */
  serviceMs: number;
  served: number;
  /** largest batch per replica seen (the fit is trusted up to about here) */
  maxBatch: number;
}

const BATCH_SCALE = 10;
const PROMPT_SCALE = 1000;
/** weight of one second's finished requests in the slot-time mean, per request */
const SERVICE_ALPHA = 0.01;

/** Optional prior from the engine's params (the sim's flags, or a profile), used until data outweighs it. */
export interface CapacityPrior {
  itlMs?: number;
  itlPerSeqMs?: number;
  prefillMs?: number;
  prefillMsPerToken?: number;
}

export function initCapacity(prior: CapacityPrior = {}): CapacityModel {
  return {
    itl: line(prior.itlMs ?? 0, (prior.itlPerSeqMs ?? 0) * BATCH_SCALE),
    prefill: line(prior.prefillMs ?? 0, (prior.prefillMsPerToken ?? 0) * PROMPT_SCALE),
    serviceMs: 0,
    served: 0,
    maxBatch: 0,
  };
}

export interface CapacityObservation {
  /** requests running per ready replica over the interval */
  batch: number;
  itlMs?: number;
  prefillMs?: number;
  promptTokens?: number;
  completions?: number;
  serviceMs?: number;
}

/** Folds one second's observation into the model (a new object; the input is not changed). */
export function observe(m: CapacityModel, o: CapacityObservation): CapacityModel {
  let { itl, prefill, serviceMs, served, maxBatch } = m;
  if (o.itlMs !== undefined && o.batch > 0) itl = fit(itl, o.batch / BATCH_SCALE, o.itlMs);
  if (o.prefillMs !== undefined && o.promptTokens !== undefined) prefill = fit(prefill, o.promptTokens / PROMPT_SCALE, o.prefillMs);
  if (o.completions && o.serviceMs !== undefined && Number.isFinite(o.serviceMs)) {
    const w = served === 0 ? 1 : Math.min(0.5, SERVICE_ALPHA * o.completions);
    serviceMs = serviceMs + w * (o.serviceMs - serviceMs);
    served += o.completions;
  }
  if (o.batch > maxBatch) maxBatch = o.batch;
  if (itl === m.itl && prefill === m.prefill && serviceMs === m.serviceMs && maxBatch === m.maxBatch) return m;
  return { itl, prefill, serviceMs, served, maxBatch };
}

export function itlAt(m: CapacityModel, batch: number): number {
  return Math.max(0, predict(m.itl, batch / BATCH_SCALE));
}

export function prefillAt(m: CapacityModel, promptTokens: number): number {
  return Math.max(0, predict(m.prefill, promptTokens / PROMPT_SCALE));
}

/** 0..1: how much the fits can be trusted (updates seen, and the slope's variance relative to its prior). */
export function confidence(m: CapacityModel): number {
  const n = Math.min(m.itl.n, 600) / 600;
  const v = 1 - Math.min(1, Math.sqrt(m.itl.p[2] / P0));
  return Math.max(0, Math.min(1, 0.5 * n + 0.5 * v));
}

/** A summary for `deployment show` and the dashboard: the fitted lines in user units, flat. */
export interface CapacitySummary {
  /** "12 ms + 0.24 ms per running request" */
  itl: string;
  /** "20 ms + 100 ms per 1k prompt tokens" */
  prefill: string;
  slotTimeMs: number;
  /** seconds of samples the ITL line is fitted on, and finished requests behind the slot time */
  samples: number;
  requests: number;
  confidence: number;
  maxBatch: number;
}

export function summarize(m: CapacityModel): CapacitySummary {
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    itl: `${r(m.itl.b0)} ms + ${r(m.itl.b1 / BATCH_SCALE)} ms per running request`,
    prefill: `${r(m.prefill.b0)} ms + ${r(m.prefill.b1)} ms per 1k prompt tokens`,
    slotTimeMs: Math.round(m.serviceMs),
    samples: m.itl.n,
    requests: m.served,
    confidence: r(confidence(m)),
    maxBatch: r(m.maxBatch),
  };
}

/**
 * Erlang C: the probability that an arrival waits for one of `k` slots, at offered load `a` = rate x slot
 * time (in slots). 1 when a >= k. Computed by the stable recurrence on the Erlang B blocking probability.
 */
export function erlangC(k: number, a: number): number {
  if (k <= 0) return 1;
  if (a <= 0) return 0;
  if (a >= k) return 1;
  let b = 1;
  for (let i = 1; i <= k; i++) b = (a * b) / (i + a * b);
  return b / (1 - (a / k) * (1 - b));
}

/**
 * The q-quantile (e.g. 0.95) of the wait for a slot in M/M/k, ms: 0 when fewer than 1 - q of arrivals wait;
 * else the exponential tail ln(P(wait) / (1 - q)) / (k / S - rate). Infinity when the slots cannot keep up.
 * `burst` (>= 1) scales the wait as Kingman's (ca^2 + cs^2) / 2 does for burstier-than-Poisson arrivals.
 */
export function waitQuantileMs(k: number, ratePerMs: number, slotMs: number, q: number, burst = 1): number {
  if (ratePerMs <= 0 || slotMs <= 0) return 0;
  const a = ratePerMs * slotMs;
  if (a >= k) return Infinity;
  const pw = erlangC(k, a);
  const tail = 1 - q;
  if (pw <= tail) return 0;
  return (Math.log(pw / tail) / (k / slotMs - ratePerMs)) * Math.max(1, burst);
}

/** The fewest replicas (from `from`, at most `max`) whose predicted wait quantile is within `budgetMs`. */
export function replicasForWait(o: {
  from: number;
  max: number;
  slotsPerReplica: number;
  ratePerMs: number;
  slotMs: number;
  budgetMs: number;
  q: number;
  burst?: number;
}): number {
  const slots = Math.max(1, Math.floor(o.slotsPerReplica));
  for (let n = Math.max(1, o.from); n <= o.max; n++) {
    if (waitQuantileMs(n * slots, o.ratePerMs, o.slotMs, o.q, o.burst) <= o.budgetMs) return n;
  }
  return o.max;
}
