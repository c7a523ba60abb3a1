/**
 * Scoring the corpus: per row (scenario x profile x ours with or without its TTFT SLO) who wins, and the
 * summary against the aims. Pure functions over the jobs of scenarios.mjs.
 */

/** The autoscaling peers; static-peak and static-mean are yardsticks, not peers. */
export const PEERS = ['kpa', 'ray', 'hpa', 'keda', 'skyserve'];
/** ours may trail the best peer's attainment by this much and still count as meeting it */
export const TOLERANCE = 0.002;
/**
 * a scenario where no autoscaling policy (peers, ours with or without the SLO) has this share of requests
 * within the SLO (ours' p95 target) has an unreachable SLO; static-peak, which holds the peak's replicas all
 * along, is left out
 */
export const REACHED = 0.95;
export const AIMS = { winShare: 0.9, geomean: 1.2, runaway: 2 };

/**
 * One row: ours against the peers. bar = best peer attainment - TOLERANCE; ours wins when its attainment is
 * at or above the bar and no policy at or above the bar (peers and ours) has fewer GPU-hours.
 */
export function scoreRow(job, slo) {
  const policies = job.variants[slo];
  const ours = policies.ours;
  const peers = PEERS.filter((n) => policies[n]).map((name) => ({ name, ...policies[name] }));
  const best = [...peers].sort((a, b) => b.sloAttainment - a.sloAttainment || a.gpuHours - b.gpuHours)[0];
  // (less a hair, so that exactly TOLERANCE below counts as at the bar despite floating point)
  const bar = best ? best.sloAttainment - TOLERANCE - 1e-9 : -Infinity;
  const eligible = [{ name: 'ours', ...ours }, ...peers].filter((p) => p.sloAttainment >= bar);
  // a tie in GPU-hours goes to ours (listed first; sort is stable)
  const cheapest = eligible.sort((a, b) => a.gpuHours - b.gpuHours)[0];
  const meets = ours.sloAttainment >= bar;
  const win = meets && cheapest.name === 'ours';
  let why = '';
  if (!meets) why = `attainment ${pp(ours.sloAttainment)} < ${best.name} ${pp(best.sloAttainment)}`;
  else if (!win)
    why = `${cheapest.name} ${cheapest.gpuHours.toFixed(2)} GPU-h vs ours ${ours.gpuHours.toFixed(2)} (${(ours.gpuHours / cheapest.gpuHours).toFixed(2)}x)`;
  return {
    key: job.key,
    group: job.group,
    profile: job.profile,
    slo,
    name: `${job.key} ${job.profile} ${slo === 'on' ? 'slo' : 'no-slo'}`,
    ours,
    vsForesight: ours.vsForesight,
    bestPeer: best ? { name: best.name, sloAttainment: best.sloAttainment, gpuHours: best.gpuHours } : undefined,
    // percentage points by which ours trails the best peer (negative: ours is above it)
    gapPp: best ? (best.sloAttainment - ours.sloAttainment) * 100 : 0,
    winner: cheapest.name,
    win,
    why,
  };
}

const pp = (x) => `${(x * 100).toFixed(2)}%`;

/** Nearest-rank percentile of an unsorted list. */
export function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function geomean(xs) {
  const ok = xs.filter((x) => x > 0);
  return ok.length ? Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length) : NaN;
}

const distribution = (xs) => ({ p10: percentile(xs, 10), median: percentile(xs, 50), p90: percentile(xs, 90), max: Math.max(...xs) });

function share(rows) {
  return {
    count: rows.length,
    wins: rows.filter((r) => r.win).length,
    winShare: rows.length ? rows.filter((r) => r.win).length / rows.length : NaN,
    geomean: geomean(rows.map((r) => r.vsForesight)),
  };
}

/**
 * Runaway check per scenario x profile: ours with the SLO / ours without it in GPU-hours (the load term),
 * flagged where no policy reaches the SLO (REACHED of requests within it).
 */
export function runawayRow(job) {
  const on = job.variants.on.ours;
  const off = job.variants.off.ours;
  if (!on || !off) return undefined;
  const all = [
    ...Object.entries(job.variants.off)
      .filter(([name]) => !name.startsWith('static-'))
      .map(([, p]) => p),
    on,
  ];
  const reachable = all.some((p) => p.sloAttainment >= REACHED);
  return {
    name: `${job.key} ${job.profile}`,
    key: job.key,
    profile: job.profile,
    reachable,
    ratio: off.gpuHours > 0 ? on.gpuHours / off.gpuHours : on.gpuHours > 0 ? Infinity : 1,
    on: on.gpuHours,
    off: off.gpuHours,
  };
}

export function summarize(jobs) {
  const rows = jobs.flatMap((j) => (j.variants.on.ours ? ['off', 'on'] : ['off']).map((slo) => scoreRow(j, slo)));
  const scored = rows.filter((r) => r.vsForesight > 0);
  const by = (f) => Object.fromEntries([...new Set(rows.map(f))].map((k) => [k, share(rows.filter((r) => f(r) === k))]));
  const worstForesight = [...scored].sort((a, b) => b.vsForesight - a.vsForesight);
  const worstGap = [...rows].sort((a, b) => b.gapPp - a.gapPp);
  const runaway = jobs.map(runawayRow).filter(Boolean);
  const unreachable = runaway.filter((r) => !r.reachable);
  const worstRunaway = [...unreachable].sort((a, b) => b.ratio - a.ratio)[0];
  const worstRatioAll = [...runaway].sort((a, b) => b.ratio - a.ratio)[0];
  const total = share(rows);
  return {
    ...total,
    byGroup: by((r) => r.group),
    byProfile: by((r) => r.profile),
    bySlo: by((r) => r.slo),
    vsForesight: distribution(scored.map((r) => r.vsForesight)),
    gapPp: distribution(rows.map((r) => r.gapPp)),
    worstForesight: worstForesight.slice(0, 5).map((r) => ({ name: r.name, vsForesight: r.vsForesight })),
    worstGap: worstGap.slice(0, 5).map((r) => ({ name: r.name, gapPp: r.gapPp, bestPeer: r.bestPeer?.name })),
    losses: {
      attainment: rows.filter((r) => !r.win && r.why.startsWith('attainment')).length,
      cost: rows.filter((r) => !r.win && !r.why.startsWith('attainment')).length,
    },
    runaway: {
      unreachable: unreachable.length,
      over: unreachable.filter((r) => r.ratio > AIMS.runaway).map((r) => r.name),
      worst: worstRunaway,
      worstAnyScenario: worstRatioAll,
      rows: unreachable,
    },
    aims: {
      winShare: total.winShare >= AIMS.winShare,
      geomean: total.geomean <= AIMS.geomean,
      runaway: unreachable.every((r) => r.ratio <= AIMS.runaway),
    },
    rows,
  };
}
