/**
 * Spot availability per zone (issue #17): when spot capacity can be had in each zone over the simulated time.
 * Either drawn from a two-state (up/down) model, each zone alternating up-runs and down-runs of exponentially
 * distributed length (a two-state Markov chain, as the reference suggests), seeded; or replayed from a CSV of
 * per-zone intervals. Going down is a preemption: the zone's spot replicas get the notice; while down no spot
 * replica can be provisioned there. Pure: data in, data out.
 */
import { invalid } from '../../core/errors.js';
import { deriveSeed, exponential, mulberry32 } from '../random.js';

/** Mean run lengths of one zone's two-state model, hours. */
export interface AvailabilityParams {
  name: string;
  upMeanH: number;
  downMeanH: number;
}

/** One zone's down intervals over the simulated time, [start, end) in ms from the trace start, sorted, disjoint. */
export interface ZoneWindows {
  zone: string;
  down: [number, number][];
}

const HOUR_MS = 3_600_000;

/**
 * Parameter sets spanning the published measurements (spot-traces, NSDI'24 "Can't Be Late": p3.2xlarge, 9
 * zones, 45 days: obtainable 0.17-0.91, up-runs 0.7-10.4 h, down-runs 0.8-3.6 h; preemption trace, 4 zones, 7
 * days: 41-60 preemptions/week/zone). Each set's obtainable fraction is up/(up+down) and its preemptions per
 * week 168/(up+down) (one per up-run).
 */
export const AVAILABILITY_PRESETS: readonly AvailabilityParams[] = [
  // the longest measured up-run, the shortest down-run: obtainable 0.93, 15 preemptions/week
  { name: 'calm', upMeanH: 10.4, downMeanH: 0.8 },
  // the preemption trace's lower rate (42/week) with a middle down-run: obtainable 0.70
  { name: 'typical', upMeanH: 2.8, downMeanH: 1.2 },
  // the preemption trace's highest rate (60/week), short down-runs: obtainable 0.71
  { name: 'churny', upMeanH: 2.0, downMeanH: 0.8 },
  // the shortest up-run, the longest down-run: obtainable 0.16, 39 preemptions/week
  { name: 'scarce', upMeanH: 0.7, downMeanH: 3.6 },
];

export const obtainable = (p: AvailabilityParams): number => p.upMeanH / (p.upMeanH + p.downMeanH);
export const preemptionsPerWeek = (p: AvailabilityParams): number => 168 / (p.upMeanH + p.downMeanH);

export function presetByName(name: string): AvailabilityParams {
  const p = AVAILABILITY_PRESETS.find((a) => a.name === name);
  if (!p) throw invalid('--spot-availability', `"${name}" is not a preset (known: ${AVAILABILITY_PRESETS.map((a) => a.name).join(', ')})`);
  return p;
}

/**
 * `zones` zones over [0, horizonMs): each starts up with the stationary probability (obtainable), then
 * alternates exponential up- and down-runs. Zone k draws from its own stream of `seed`.
 */
export function twoStateAvailability(p: AvailabilityParams, zones: number, horizonMs: number, seed: number): ZoneWindows[] {
  if (!(p.upMeanH > 0)) throw invalid('upMeanH', `must be above 0, got ${p.upMeanH}`);
  if (!(p.downMeanH > 0)) throw invalid('downMeanH', `must be above 0, got ${p.downMeanH}`);
  const out: ZoneWindows[] = [];
  for (let k = 0; k < zones; k++) {
    const rand = mulberry32(deriveSeed(seed, 0x5be7 + k));
    const down: [number, number][] = [];
    let up = rand() < obtainable(p);
    let t = 0;
    while (t < horizonMs) {
      const run = exponential(rand, 1 / ((up ? p.upMeanH : p.downMeanH) * HOUR_MS));
      if (!up) down.push([t, Math.min(horizonMs, t + run)]);
      t += run;
      up = !up;
    }
    out.push({ zone: `zone-${k}`, down });
  }
  return out;
}

/**
 * A replayed availability trace: CSV with the header `zone,start_s,end_s,state` (state `up` or `down`; times in
 * seconds from the trace start). Only the down intervals matter: a zone is up wherever none covers the time.
 * Zones are ordered as they first appear. Throws naming the line and the field.
 */
export function parseAvailabilityCsv(text: string): ZoneWindows[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim().toLowerCase();
  if (header !== 'zone,start_s,end_s,state') throw invalid('--availability', `line 1 must be the header "zone,start_s,end_s,state", got "${lines[0] ?? ''}"`);
  const zones = new Map<string, [number, number][]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const f = line.split(',').map((s) => s.trim());
    const at = (what: string) => `--availability line ${i + 1} ${what}`;
    if (f.length !== 4) throw invalid(at('(row)'), `must have 4 fields, got ${f.length}`);
    const [zone, a, b, state] = f;
    if (zone === '') throw invalid(at('zone'), 'must not be empty');
    const start = Number(a);
    const end = Number(b);
    if (a === '' || !Number.isFinite(start) || start < 0) throw invalid(at('start_s'), `must be a number >= 0, got "${a}"`);
    if (b === '' || !Number.isFinite(end) || end <= start) throw invalid(at('end_s'), `must be a number above start_s (${start}), got "${b}"`);
    if (state !== 'up' && state !== 'down') throw invalid(at('state'), `must be up or down, got "${state}"`);
    if (!zones.has(zone)) zones.set(zone, []);
    if (state === 'down') zones.get(zone)?.push([start * 1000, end * 1000]);
  }
  if (zones.size === 0) throw invalid('--availability', 'lists no zone');
  return [...zones].map(([zone, down]) => {
    down.sort((x, y) => x[0] - y[0]);
    for (let j = 1; j < down.length; j++)
      if (down[j][0] < down[j - 1][1])
        throw invalid(
          '--availability',
          `zone ${zone}: down intervals ${down[j - 1][0] / 1000}-${down[j - 1][1] / 1000} s and ${down[j][0] / 1000}-${down[j][1] / 1000} s overlap`,
        );
    return { zone, down };
  });
}

/** The fraction of [0, horizonMs) a zone is up. */
export function upFraction(z: ZoneWindows, horizonMs: number): number {
  let downMs = 0;
  for (const [a, b] of z.down) downMs += Math.max(0, Math.min(b, horizonMs) - Math.min(a, horizonMs));
  return horizonMs > 0 ? 1 - downMs / horizonMs : 1;
}
