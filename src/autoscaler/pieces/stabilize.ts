/**
 * Stabilization over recommendations, as durations (Kubernetes HPA `stabilizeRecommendationWithBehaviors`):
 * scale up only to the lowest recommendation of the last `upMs`, scale down only to the highest of the
 * last `downMs`. A delay of 0 reacts at once. Knative and Ray use their own schemes (see baselines/).
 */
export interface Recommendation {
  at: number;
  replicas: number;
}

/** Adds `rec` and drops those older than `keepMs` before `rec.at`. Returns a new array. */
export function recordRecommendation(recs: readonly Recommendation[], rec: Recommendation, keepMs: number): Recommendation[] {
  const cutoff = rec.at - keepMs;
  const out = recs.filter((r) => r.at >= cutoff && r.at < rec.at);
  out.push(rec);
  return out;
}

/** Lowest recommendation at or after `now - windowMs` (the current one included), or `fallback`. */
export function minSince(recs: readonly Recommendation[], now: number, windowMs: number, fallback: number): number {
  let out = fallback;
  for (const r of recs) if (r.at >= now - windowMs && r.at <= now) out = Math.min(out, r.replicas);
  return out;
}

/** Highest recommendation at or after `now - windowMs` (the current one included), or `fallback`. */
export function maxSince(recs: readonly Recommendation[], now: number, windowMs: number, fallback: number): number {
  let out = fallback;
  for (const r of recs) if (r.at >= now - windowMs && r.at <= now) out = Math.max(out, r.replicas);
  return out;
}

/**
 * HPA's rule: `recommendation` is this tick's raw recommendation and must already be in `recs` or be
 * passed here; `current` is the replica count in force. Returns the stabilized count.
 */
export function stabilize(recs: readonly Recommendation[], now: number, current: number, recommendation: number, upMs: number, downMs: number): number {
  const up = minSince(recs, now, upMs, recommendation);
  const down = maxSince(recs, now, downMs, recommendation);
  let out = current;
  if (out < up) out = up;
  if (out > down) out = down;
  return out;
}

/**
 * The same windows over recommendations kept as runs: each run holds from its `at` until the next run's
 * `at` (the last one until now). A policy asked every second whose recommendation rarely changes keeps a
 * handful of entries instead of one per tick, and the state is not copied when nothing changed.
 */
export function recordRun(runs: readonly Recommendation[], at: number, replicas: number, keepMs: number): readonly Recommendation[] {
  const last = runs[runs.length - 1];
  const out = last && last.replicas === replicas ? runs : [...runs, { at, replicas }];
  let drop = 0;
  while (drop + 1 < out.length && out[drop + 1].at <= at - keepMs) drop++;
  return drop ? out.slice(drop) : out;
}

/** Highest (or lowest) run that held at any time in (now - windowMs, now]; `fallback` when none did. */
export function runExtreme(runs: readonly Recommendation[], now: number, windowMs: number, pick: 'max' | 'min', fallback: number): number {
  let out = fallback;
  for (let i = 0; i < runs.length; i++) {
    const end = i + 1 < runs.length ? runs[i + 1].at : Infinity;
    if (end <= now - windowMs || runs[i].at > now) continue;
    out = pick === 'max' ? Math.max(out, runs[i].replicas) : Math.min(out, runs[i].replicas);
  }
  return out;
}

/**
 * The `q`-quantile (0..1, by time) of the runs that held in (now - windowMs, now]: the value below which
 * the recommendation stayed for a share `q` of the window's covered time (q = 1: the highest value, like
 * runExtreme 'max'; q = 0.5: the median). `fallback` when no run held in the window. Runs are few
 * (changes only) and values small integers, so this is a short scan without sorting.
 */
export function runQuantile(runs: readonly Recommendation[], now: number, windowMs: number, q: number, fallback: number): number {
  const from = now - windowMs;
  let total = 0;
  let hi = -Infinity;
  let lo = Infinity;
  let first = -1;
  for (let i = 0; i < runs.length; i++) {
    const end = i + 1 < runs.length ? runs[i + 1].at : Infinity;
    if (runs[i].at > now || end <= from) continue;
    if (first < 0) first = i;
    // the current run counts at least one instant, so a fresh recommendation is never ignored
    total += Math.max(Math.min(end, now) - Math.max(runs[i].at, from), 1e-6);
    hi = Math.max(hi, runs[i].replicas);
    lo = Math.min(lo, runs[i].replicas);
  }
  if (first < 0) return fallback;
  if (q >= 1 || hi === lo) return hi;
  // from the top: the highest value v such that the time at or above v reaches (1 - q) of the total
  const need = (1 - q) * total - 1e-9;
  let below = hi + 1;
  for (;;) {
    // the next lower value present, and the time at or above it
    let v = -Infinity;
    let above = 0;
    for (let i = first; i < runs.length; i++) {
      const end = i + 1 < runs.length ? runs[i + 1].at : Infinity;
      if (runs[i].at > now || end <= from) continue;
      const r = runs[i].replicas;
      if (r < below && r > v) v = r;
    }
    for (let i = first; i < runs.length; i++) {
      const end = i + 1 < runs.length ? runs[i + 1].at : Infinity;
      if (runs[i].at > now || end <= from || runs[i].replicas < v) continue;
      above += Math.max(Math.min(end, now) - Math.max(runs[i].at, from), 1e-6);
    }
    if (above >= need || v <= lo) return v;
    below = v;
  }
}
