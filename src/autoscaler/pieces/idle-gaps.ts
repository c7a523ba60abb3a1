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
 * longer than the short gaps, only the long ones are still possible), plus one gap shorter than any of them
 * (the next gap may be shorter than every gap seen: with n gaps, a chance of 1 in n + 1), so a plan made from
 * a handful of gaps does not bet a burst of requests on them. `missCostMs` is the spec's
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
/** Gaps needed before the plan replaces the plain idle timer. */
export const MIN_GAP_SAMPLES = 3;

/** Appends a gap, keeping the last `max`. Returns a new array. */
export function recordGap(samples: readonly GapSample[], gap: number, max = GAP_SAMPLES): GapSample[] {
  const out = samples.length >= max ? samples.slice(samples.length - max + 1) : [...samples];
  out.push({ gap, burst: 1 });
  return out;
}

/** Sets the newest sample's burst count (arrivals within a cold start of its end). Returns a new array. */
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
 * The cheapest plan for a spell that has lasted `idleMs` so far, or undefined when too few recorded gaps
 * are longer than that (then the plain idle timer decides). Brute force over the recorded gaps as drop and
 * pre-warm times: N <= 32, and the caller plans again only when the quiet time passes a recorded gap.
 */
export function planIdle(
  samples: readonly GapSample[],
  idleMs: number,
  coldStartMs: number,
  missCostMs: number,
  minSamples = MIN_GAP_SAMPLES,
): IdlePlan | undefined {
  if (samples.length < minSamples) return undefined;
  const g: number[] = [];
  const w: number[] = [];
  for (const s of samples) {
    if (s.gap > idleMs) {
      g.push(s.gap);
      w.push(Math.max(1, s.burst) * missCostMs);
    }
  }
  const candidates = g.length;
  if (candidates === 0) return undefined;
  // the next gap may be shorter than any seen so far (rule of succession: 1 in n + 1): one more sample
  // halfway between now and the shortest candidate, with the mean burst
  let shortest = Infinity;
  let meanW = 0;
  for (let i = 0; i < candidates; i++) {
    shortest = Math.min(shortest, g[i]);
    meanW += w[i] / candidates;
  }
  g.push(idleMs + (shortest - idleMs) / 2);
  w.push(meanW);
  const n = g.length;
  const C = Math.max(0, coldStartMs);
  // keep until the arrival
  let keepCost = 0;
  for (let i = 0; i < n; i++) keepCost += g[i] - idleMs;
  keepCost /= n;
  let best: IdlePlan = { dropAt: Infinity, prewarmAt: Infinity, cost: keepCost, keepCost, candidates };
  const drops = [idleMs, ...g];
  const starts = [Infinity, ...g.map((x) => x - C)];
  for (const H of drops) {
    for (const S of starts) {
      if (S < H) continue; // a restart before the drop is just keeping
      let cost = 0;
      for (let i = 0; i < n; i++) {
        const t = g[i];
        if (t <= H) {
          cost += t - idleMs;
          continue;
        }
        cost += H - idleMs;
        if (t < S) cost += C + w[i]; // came before the pre-warm: a cold start from zero
        else if (t >= S + C) cost += t - S; // the pre-warmed replica was ready and waited
        else cost += t - S + w[i]; // still starting: the burst waits for it
      }
      cost /= n;
      if (cost < best.cost - 1e-6) best = { dropAt: H, prewarmAt: S, cost, keepCost, candidates };
    }
  }
  return best;
}
