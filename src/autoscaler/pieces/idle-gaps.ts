/**
 * Learned idle gaps, for scale to zero. A deployment's quiet spells are not memoryless: timers fire every
 * 5 or 10 minutes, batch jobs every half hour, interactive users leave long random pauses. The policy keeps
 * the last few gaps it saw (from the end of one burst of activity to the first arrival of the next) with the
 * number of requests that arrived within a cold start of that next arrival, and plans each quiet spell from
 * them: keep the replica, go to zero and come back cold, or go to zero and start one replica a cold start
 * before the next burst is due (pre-warm).
 *
 * The plan minimises expected GPU time plus `missCostMs` per request that would wait for a cold start, over
 * the recorded gaps longer than the quiet time so far (the conditional distribution: once a spell has lasted
 * longer than the short gaps, only the long ones are still possible), plus one gap shorter than any of them,
 * spread between now and the shortest (the next gap may be shorter than every gap seen: with n gaps, a
 * chance of 1 in n + 1), so a plan made from a handful of gaps does not bet a burst of requests on them.
 * Drops and pre-warms are only planned at recorded gaps. `missCostMs` is the spec's
 * scaleToZeroAfter: the idle time the user pays to spare one request a cold start.
 */

/** One recorded quiet spell. */
export interface GapSample {
  /** ms from the end of activity to the next arrival */
  gap: number;
  /** requests that arrived within a cold start of that arrival (they would have waited for a cold start) */
  burst: number;
}

/** Quiet spells shorter than this are not recorded (they are part of a burst) and never lead to zero. */
export const MIN_GAP_MS = 10_000;
/** Gaps remembered per deployment. */
export const GAP_SAMPLES = 32;
/** The one gap "shorter than any seen" is spread over this many points. */
const PRIOR_POINTS = 4;
/** Gaps needed before the plan replaces the plain idle timer. */
export const MIN_GAP_SAMPLES = 3;

/** Appends a gap, keeping the last `max`. Returns a new array. */
export function recordGap(samples: readonly GapSample[], gap: number, max = GAP_SAMPLES): GapSample[] {
  const out = samples.length >= max ? samples.slice(samples.length - max + 1) : [...samples];
  out.push({ gap, burst: 1 });
  return out;
}

/** Sets the newest sample's burst count (arrivals within a cold start of the arrival that ended it). Returns a new array. */
export function setLastBurst(samples: readonly GapSample[], burst: number): readonly GapSample[] {
  const last = samples[samples.length - 1];
  if (!last || last.burst === burst) return samples;
  const out = samples.slice();
  out[out.length - 1] = { gap: last.gap, burst };
  return out;
}

/**
 * A plan for the current quiet spell, in ms after the end of activity: keep the replica until `dropAt`
 * (Infinity: until the next arrival), then start one again at `prewarmAt` (Infinity: only when a request
 * comes). Costs are expected GPU-ms plus miss costs, per spell.
 */
export interface IdlePlan {
  dropAt: number;
  prewarmAt: number;
  cost: number;
  keepCost: number;
  /** recorded gaps longer than the quiet time the plan was made at */
  candidates: number;
}

/**
 * The cheapest plan for a spell that has lasted `idleMs` so far, or undefined with fewer than `minSamples`
 * recorded gaps or none longer than that (then the plain idle timer decides). Every recorded gap is a
 * candidate drop and pre-warm time: O(N^2) for N <= 36 points with prefix sums, and the caller plans again
 * only when the quiet time passes a recorded gap.
 */
export function planIdle(
  samples: readonly GapSample[],
  idleMs: number,
  coldStartMs: number,
  missCostMs: number,
  minSamples = MIN_GAP_SAMPLES,
): IdlePlan | undefined {
  if (samples.length < minSamples) return undefined;
  // scratch: gap, miss cost and weight of each candidate, then sorted by gap (at most 32 + PRIOR_POINTS)
  const cap = samples.length + PRIOR_POINTS;
  const g = new Float64Array(cap);
  const w = new Float64Array(cap);
  const p = new Float64Array(cap);
  let candidates = 0;
  let shortest = Infinity;
  let sumW = 0;
  for (const s of samples) {
    if (s.gap > idleMs) {
      g[candidates] = s.gap;
      w[candidates] = Math.max(1, s.burst) * missCostMs;
      p[candidates] = 1;
      shortest = Math.min(shortest, s.gap);
      sumW += w[candidates];
      candidates++;
    }
  }
  if (candidates === 0) return undefined;
  const C = Math.max(0, coldStartMs);
  let longest = 0;
  let waitSum = 0;
  for (let i = 0; i < candidates; i++) {
    longest = Math.max(longest, g[i]);
    waitSum += g[i] - idleMs;
  }
  if (longest - idleMs <= C) {
    // every spell ends within a cold start: nothing beats keeping the replica (the prior's share is
    // spread below the shortest gap, on average halfway)
    const keepCost = (waitSum + (shortest - idleMs) / 2) / (candidates + 1);
    return { dropAt: Infinity, prewarmAt: Infinity, cost: keepCost, keepCost, candidates };
  }
  // the next gap may be shorter than any seen so far (rule of succession: 1 in n + 1): one more sample,
  // spread evenly between now and the shortest candidate, with the mean burst
  let n = candidates;
  for (let j = 1; j <= PRIOR_POINTS; j++, n++) {
    g[n] = idleMs + ((shortest - idleMs) * j) / (PRIOR_POINTS + 1);
    w[n] = sumW / candidates;
    p[n] = 1 / PRIOR_POINTS;
  }
  // insertion sort by gap (n is small)
  for (let i = 1; i < n; i++) {
    const gi = g[i],
      wi = w[i],
      pi = p[i];
    let j = i - 1;
    for (; j >= 0 && g[j] > gi; j--) {
      g[j + 1] = g[j];
      w[j + 1] = w[j];
      p[j + 1] = p[j];
    }
    g[j + 1] = gi;
    w[j + 1] = wi;
    p[j + 1] = pi;
  }
  // weighted prefix sums of the time a kept replica waits, and of the weights
  const wait = new Float64Array(n + 1);
  const mass = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    wait[i + 1] = wait[i] + p[i] * (g[i] - idleMs);
    mass[i + 1] = mass[i] + p[i];
  }
  const total = mass[n];
  const keepCost = wait[n] / total;
  let best: IdlePlan = { dropAt: Infinity, prewarmAt: Infinity, cost: keepCost, keepCost, candidates };
  // drop at H (now, or at a recorded gap), start again at S (never, or a cold start before a recorded gap)
  const suffix = new Float64Array(n + 1);
  for (let si = -1; si < n; si++) {
    if (si >= 0 && p[si] !== 1) continue;
    const S = si < 0 ? Infinity : g[si] - C;
    // suffix[k]: what the spells from the k-th shortest on cost after the drop, with a restart at S
    suffix[n] = 0;
    for (let i = n - 1; i >= 0; i--) {
      const t = g[i];
      const c = t < S ? C + w[i] : t >= S + C ? t - S : t - S + w[i];
      suffix[i] = suffix[i + 1] + p[i] * c;
    }
    let k = 0; // spells ending at or before H (they find the replica kept)
    for (let hi = -1; hi < n; hi++) {
      if (hi >= 0 && p[hi] !== 1) continue;
      const H = hi < 0 ? idleMs : g[hi];
      if (S < H) break; // drops are ascending: a restart before the drop is just keeping
      while (k < n && g[k] <= H) k++;
      const cost = (wait[k] + (total - mass[k]) * (H - idleMs) + suffix[k]) / total;
      if (cost < best.cost - 1e-6) best = { dropAt: H, prewarmAt: S, cost, keepCost, candidates };
    }
  }
  return best;
}
