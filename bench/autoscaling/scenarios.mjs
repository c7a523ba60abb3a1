/**
 * The autoscaling corpus: scenarios (traces), replica profiles and the shared settings, and one job (a
 * scenario under one profile, every policy without ours' TTFT SLO, then ours with it). Shared by run.mjs
 * and its worker threads.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specFromFlagString } from '../../dist/autoscaler/flags.js';
import { parseSimEngineParams } from '../../dist/engines/sim/params.js';
import { diurnalTrace, flashCrowdTrace, loadTrace, longPromptTrace, onOffTrace, poissonTrace, simulate } from '../../dist/simulator/index.js';
import { parseServeGenCsv, SERVEGEN_WINDOW_S } from '../../dist/simulator/traces/servegen.js';

const here = dirname(fileURLToPath(import.meta.url));
export const TRACES = join(here, '..', '..', '..', 'shared', 'traces');
const SERVEGEN = join(TRACES, 'servegen-m-small');

/**
 * idleProbeMs: at zero and quiet the simulator asks a policy this often instead of every second (its fast idle
 * path); 8 s still serves KPA's 2 s tick and sees a pre-warm within 8 s of a 60 s cold start. The peers only
 * leave zero on a request, which ends the quiet stretch at once, so their results are the same with any probe.
 */
export const SETTINGS = { coldStartMs: 60_000, sloTtftMs: 2_000, pricePerGpuHour: 2, gpuCount: 1, seed: 1, queueTimeoutMs: 120_000, idleProbeMs: 8_000 };

export const PROFILES = {
  a100: {
    key: 'a100',
    title: 'A100, 8B model',
    engineFlags: '--ttft-ms 20 --prefill-ms-per-token 0.1 --itl-ms 12 --max-num-seqs 32 --slowdown-per-seq 0.02 --jitter 0.1',
    autoscaleFlags: '--min 0 --max 64 --target-ongoing-requests 24',
  },
  small: {
    key: 'small',
    title: 'small GPU',
    engineFlags: '--ttft-ms 50 --prefill-ms-per-token 0.1 --itl-ms 20 --max-num-seqs 16',
    autoscaleFlags: '--target-ongoing-requests 12 --max 64 --min 0',
  },
};

/** ServeGen: a client's day is cut to a stretch holding about this many requests (whole 600 s windows)... */
export const SERVEGEN_CAP = 500_000;
/** ...but never shorter than this */
export const SERVEGEN_MIN_S = 3600;
const DAY_S = 86_400;

/**
 * The window of one ServeGen client: its typical day (the upper median, by requests, of the trace days with
 * traffic), whole; for a client with more than SERVEGEN_CAP requests that day, the stretch of it that starts
 * at the day's quietest 600 s window and runs on (wrapping back before it at the day's end) until it holds
 * SERVEGEN_CAP requests, at least SERVEGEN_MIN_S: the climb out of the trough.
 */
export function servegenWindow(windows) {
  const step = SERVEGEN_WINDOW_S;
  const days = new Map();
  for (const w of windows) {
    const d = Math.floor(w.startS / DAY_S);
    days.set(d, (days.get(d) ?? 0) + w.rate * step);
  }
  const active = [...days].filter(([, n]) => n >= 1).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  if (active.length === 0) return undefined;
  const [day, dayRequests] = active[active.length >> 1];
  const dayStart = day * DAY_S;
  const rate = new Map(windows.map((w) => [w.startS, w.rate]));
  const n = (s) => (rate.get(s) ?? 0) * step;
  let fromS = dayStart;
  let toS = dayStart + DAY_S;
  let requests = dayRequests;
  if (dayRequests > SERVEGEN_CAP) {
    let low = dayStart;
    for (let s = dayStart; s < dayStart + DAY_S; s += step) if (n(s) < n(low)) low = s;
    fromS = low;
    toS = low;
    requests = 0;
    const short = () => requests < SERVEGEN_CAP || toS - fromS < SERVEGEN_MIN_S;
    while (short() && toS < dayStart + DAY_S) (requests += n(toS)), (toS += step);
    while (short() && fromS > dayStart) (fromS -= step), (requests += n(fromS));
  }
  return { day, dayRequests, startMs: fromS * 1000, durationMs: (toS - fromS) * 1000, requests };
}

function servegenScenarios() {
  const out = [];
  for (let c = 0; c < 43; c++) {
    const file = join(SERVEGEN, `chunk-${c}-trace.csv`);
    const win = servegenWindow(parseServeGenCsv(readFileSync(file, 'utf8')));
    if (!win) continue;
    const startH = win.startMs / 3_600_000 - win.day * 24;
    const span = `day ${win.day}${win.durationMs < DAY_S * 1000 ? `, h ${+startH.toFixed(1)}-${+(startH + win.durationMs / 3_600_000).toFixed(1)}` : ''}`;
    out.push({
      key: `servegen-${c}`,
      group: 'servegen',
      title: `ServeGen m-small client ${c}, ${span}`,
      span,
      estRequests: win.requests,
      load: () => loadTrace(SERVEGEN, { seed: SETTINGS.seed, chunks: [c], startMs: win.startMs, durationMs: win.durationMs }),
    });
  }
  return out;
}

const MIX = [2, 7, 13, 16, 21, 24];
const MIX_START_MS = 9 * 24 * 3_600_000;
const HOUR = 3_600_000;

/** Seeded generators, sized to span zero to several replicas under both profiles. */
const GENERATED = [
  { key: 'gen-poisson', title: 'steady Poisson, 20 req/s, 6 h', rate: 20 * 6 * 3600, make: () => poissonTrace({ rate: 20, durationMs: 6 * HOUR, seed: 1 }) },
  {
    key: 'gen-diurnal',
    title: 'diurnal, mean 12 req/s, amplitude 0.9, period 24 h, 24 h',
    rate: 12 * 24 * 3600,
    make: () => diurnalTrace({ meanRate: 12, amplitude: 0.9, periodMs: 24 * HOUR, durationMs: 24 * HOUR, seed: 1 }),
  },
  {
    key: 'gen-onoff',
    title: 'on-off, 15 req/s for 30 min then idle 60 min, 12 h',
    rate: 15 * 8 * 1800,
    make: () => onOffTrace({ rate: 15, onMs: HOUR / 2, offMs: HOUR, durationMs: 12 * HOUR, seed: 1 }),
  },
  {
    key: 'gen-flash',
    title: 'flash crowd, 3 req/s, at 2 h up to 60 req/s in 2 min, held 15 min, back over 30 min, 6 h',
    rate: 3 * 6 * 3600 + 57 * (60 + 900 + 900),
    make: () =>
      flashCrowdTrace({ baseRate: 3, peakRate: 60, atMs: 2 * HOUR, rampMs: 120_000, holdMs: 900_000, decayMs: 1_800_000, durationMs: 6 * HOUR, seed: 1 }),
  },
  {
    key: 'gen-longprompt',
    title: 'long prompts (median 4,000 tokens), diurnal mean 4 req/s, amplitude 0.8, period 12 h, 12 h',
    rate: 4 * 12 * 3600,
    sloTtftMs: 1_000,
    make: () => longPromptTrace({ meanRate: 4, amplitude: 0.8, periodMs: 12 * HOUR, durationMs: 12 * HOUR, seed: 1 }),
  },
];

/** Every scenario: key, group, title, estRequests (for scheduling), load(), and sloTtftMs where not the default. */
export function allScenarios() {
  return [
    ...servegenScenarios(),
    {
      key: 'servegen-mix',
      group: 'servegen-mix',
      title: `ServeGen m-small clients ${MIX.join(', ')} as one deployment, day 9 (24 h)`,
      span: 'day 9',
      estRequests: 2.5e6,
      load: () => loadTrace(SERVEGEN, { seed: SETTINGS.seed, chunks: MIX, startMs: MIX_START_MS, durationMs: 24 * HOUR }),
    },
    {
      key: 'functions',
      group: 'functions',
      title: 'Azure Functions, 500 functions, one deployment each (8 h, 3.0 M invocations)',
      estRequests: 3.04e6,
      load: () => loadTrace(join(TRACES, 'azure-functions-500-invocations.csv'), { seed: SETTINGS.seed }),
    },
    {
      key: 'code',
      group: 'azure-code',
      title: 'Azure LLM code trace (1 h, 8,819 requests)',
      estRequests: 8819,
      load: () => loadTrace(join(TRACES, 'azure-llm-code-2023.csv')),
    },
    ...GENERATED.map((g) => ({ key: g.key, group: 'generated', title: g.title, estRequests: g.rate, sloTtftMs: g.sloTtftMs, load: g.make })),
  ];
}

/** The representative subset of --quick: quiet, bursty, diurnal and steady-heavy clients, the code trace, the generators. */
export const QUICK = ['servegen-0', 'servegen-2', 'servegen-7', 'servegen-8', 'servegen-13', 'servegen-20', 'servegen-31', 'servegen-39', 'code', 'gen-'];

/** Ours' spec with the TTFT SLO: the scenario's measuring SLO as its p95 target. */
export function sloFlags(profile, sloTtftMs) {
  return `${profile.autoscaleFlags} --ttft-p95 ${sloTtftMs / 1000}s`;
}

const s1 = (x) => Math.round(x * 10) / 10;
const pick = (p) => ({ gpuHours: p.gpuHours, sloAttainment: p.sloAttainment, vsForesight: p.vsForesight, coldStarts: p.coldStarts });

/**
 * One scenario under one profile: the policies with ours' spec as the profile gives it (no TTFT SLO; the
 * peers never read that field, so their runs serve both variants), then ours alone with the SLO added.
 * `workers`: simulate()'s worker threads for a multi-deployment trace (0 = in this thread).
 */
export async function runJob(scenario, profile, { policies, workers = 0, trace: given }) {
  const t0 = performance.now();
  const trace = given ?? scenario.load();
  const loadS = (performance.now() - t0) / 1000;
  const sloTtftMs = scenario.sloTtftMs ?? SETTINGS.sloTtftMs;
  const engine = parseSimEngineParams(profile.engineFlags);
  const common = { trace, engine, ...SETTINGS, sloTtftMs, workers };
  const t1 = performance.now();
  const base = await simulate({ ...common, policies, spec: specFromFlagString(profile.autoscaleFlags) });
  const allS = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const withSlo = policies.includes('ours')
    ? await simulate({ ...common, policies: ['ours'], spec: specFromFlagString(sloFlags(profile, sloTtftMs)) })
    : undefined;
  const sloS = (performance.now() - t2) / 1000;
  const others = Object.fromEntries(base.policies.filter((p) => p.name !== 'ours').map((p) => [p.name, pick(p)]));
  const ours = base.policies.find((p) => p.name === 'ours');
  const variant = (o) => (o ? { ours: pick(o), ...others } : { ...others });
  return {
    key: scenario.key,
    group: scenario.group,
    title: scenario.title,
    span: scenario.span ?? `${+(trace.durationMs / 3_600_000).toFixed(1)} h`,
    profile: profile.key,
    requests: trace.at.length,
    deployments: trace.deployments.length,
    hours: +(trace.durationMs / 3_600_000).toFixed(3),
    sloTtftMs,
    foresightGpuHours: base.references.foresight.gpuHours,
    workBoundGpuHours: base.references.workBound.gpuHours,
    variants: { off: variant(ours), on: variant(withSlo?.policies[0]) },
    wall: { loadS: s1(loadS), allPoliciesS: s1(allS), oursSloS: s1(sloS), totalS: s1((performance.now() - t0) / 1000) },
  };
}
