/**
 * The spot capacity benchmark's cases: the ServeGen mix (the autoscaling corpus's `servegen-mix`: six m-small
 * clients as one deployment, day 9, 24 h) on the A100 profile, under each capacity row, each spot availability
 * preset and each seed. Shared by run.mjs and its worker threads.
 */
import { AVAILABILITY_PRESETS } from '../../dist/simulator/cloud/availability.js';
import { cloudOptions } from '../../dist/simulator/cloud/cli-options.js';
import { specFromFlagString } from '../../dist/autoscaler/flags.js';
import { parseSimEngineParams } from '../../dist/engines/sim/params.js';
import { simulate } from '../../dist/simulator/index.js';
import { allScenarios, PROFILES, SETTINGS } from '../autoscaling/scenarios.mjs';

export const SCENARIO = 'servegen-mix';
export const PROFILE = 'a100';
/** spot zones of the two-state model; the floor of mixed and SkyServe's base on-demand replicas */
export const ZONES = 3;
export const FLOOR = 1;
export const SEEDS = [1, 2, 3];
export const PRESETS = AVAILABILITY_PRESETS.map((p) => p.name);

/**
 * Rows: the scaling policy that sets the replica count, and the capacity policy that places the replicas.
 * `skyserve-rule` isolates the capacity rule (ours' count, SkyServe's placement); `skyserve` is SkyServe whole.
 */
export const ROWS = [
  { key: 'on-demand', policy: 'ours', capacity: 'on-demand', floor: 0 },
  { key: 'spot', policy: 'ours', capacity: 'spot', floor: 0 },
  { key: 'mixed', policy: 'ours', capacity: 'mixed', floor: FLOOR },
  { key: 'skyserve-rule', policy: 'ours', capacity: 'skyserve', floor: FLOOR },
  { key: 'skyserve', policy: 'skyserve', capacity: 'skyserve', floor: FLOOR },
];

/** on-demand does not read spot availability: one run per seed serves every preset */
export function allCases() {
  const out = [];
  for (const seed of SEEDS) {
    for (const row of ROWS) {
      if (row.capacity === 'on-demand') out.push({ row: row.key, preset: '-', seed });
      else for (const preset of PRESETS) out.push({ row: row.key, preset, seed });
    }
  }
  return out;
}

export function loadMix() {
  return allScenarios()
    .find((s) => s.key === SCENARIO)
    .load();
}

const pick = (p) => ({
  costUsd: p.costUsd,
  gpuHours: p.gpuHours,
  sloAttainment: p.sloAttainment,
  failed: p.failed,
  coldStarts: p.coldStarts,
  ...p.cloud,
});

/** One case on a loaded trace: the seed draws the zones' availability, the node launch times and the service jitter. */
export async function runCase(trace, c) {
  const row = ROWS.find((r) => r.key === c.row);
  const profile = PROFILES[PROFILE];
  const cloud = cloudOptions(
    { capacity: row.capacity, onDemandFloor: String(row.floor), spotAvailability: c.preset === '-' ? 'typical' : c.preset, spotZones: String(ZONES) },
    trace.durationMs,
    c.seed,
  );
  const t0 = performance.now();
  const r = await simulate({
    trace,
    engine: parseSimEngineParams(profile.engineFlags),
    spec: specFromFlagString(profile.autoscaleFlags),
    ...SETTINGS,
    seed: c.seed,
    policies: [row.policy],
    workers: 0,
    cloud,
  });
  return { ...c, ...pick(r.policies[0]), wallS: Math.round((performance.now() - t0) / 100) / 10 };
}
