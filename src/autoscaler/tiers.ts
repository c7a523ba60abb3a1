/**
 * The three tiers a replica of a deployment can be in: running, sleeping (process kept, weights off the GPU:
 * a wake away) and stopped (a cold start away). The way back for the next replica, as a value: ours plans
 * scale-to-zero and pre-warm with it instead of the cold start where replicas sleep.
 */
import type { AutoscaleSpec, PolicyInput } from './types.js';
import { formatDuration } from './units.js';

export interface WayBack {
  /** the tier the next replica comes back from */
  tier: 'sleeping' | 'stopped';
  /** how long it takes to come back, ms */
  ms: number;
  /** one phrase for the decision's reason */
  text: string;
}

/**
 * How the next replica comes back. A feeder that gives `wakeMs` says replicas taken down sleep: then a
 * replica up now (that would go to sleep) or one asleep now is a wake away; otherwise a cold start away.
 */
export function wayBack(input: Pick<PolicyInput, 'coldStartMs' | 'wakeMs' | 'sleeping' | 'replicas'>): WayBack {
  const { wakeMs, coldStartMs } = input;
  const sleeping = input.sleeping ?? 0;
  const up = input.replicas.ready + input.replicas.starting;
  if (wakeMs !== undefined && (sleeping > 0 || up > 0)) {
    const why = sleeping > 0 ? `${sleeping} asleep` : 'replicas taken down sleep';
    return { tier: 'sleeping', ms: wakeMs, text: `back by a wake (${formatDuration(wakeMs)}, ${why}) not a cold start (${formatDuration(coldStartMs)})` };
  }
  const why = wakeMs === undefined ? 'replicas taken down stop' : 'none asleep';
  return { tier: 'stopped', ms: coldStartMs, text: `back by a cold start (${formatDuration(coldStartMs)}, ${why})` };
}

/**
 * What a miss (a quiet spell that ends with no replica up) costs the idle planner, in GPU-ms: the user's
 * scale-to-zero-after (keeping a replica that long is worth one miss) while the way back misses the TTFT
 * SLO, as a cold start does and as a wake longer than the SLO does (the requests it holds miss alike: a 3 s
 * wake against a 2 s SLO is no better for attainment than a cold start, only shorter). Where the way back is
 * a wake within the SLO (`ttftP95Ms` set, wake + nothing else under it), a miss costs no attainment, only the
 * wake's own GPU time: then sleeping early is free, and the planner drops as soon as a recorded gap allows.
 * Without an SLO in the spec the policy cannot tell, and keeps the cold start's miss cost.
 */
export function missCostMs(back: WayBack, spec: Pick<AutoscaleSpec, 'ttftP95Ms' | 'scaleToZeroAfterMs'>): number {
  if (back.tier === 'sleeping' && spec.ttftP95Ms !== undefined && back.ms < spec.ttftP95Ms) return back.ms;
  return spec.scaleToZeroAfterMs;
}
