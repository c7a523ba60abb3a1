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

/** How ours plans a quiet spell (when to drop, when to pre-warm) with the way back: its time and a miss's cost. */
export interface IdleTerms {
  /** the time back that the idle plan counts, ms */
  ms: number;
  /** what a miss (a spell that ends with no replica up) costs the plan, GPU-ms */
  missCostMs: number;
}

/**
 * The idle plan's terms for the way back. A wake within the TTFT SLO (`ttftP95Ms` set and the wake under
 * it) costs a miss no attainment, only the wake's own GPU time: the plan counts the wake and drops as soon
 * as a recorded gap allows (sleeping early is free). A wake above the SLO makes the requests it holds miss
 * it, as a cold start does: the plan is the one a stopped replica gets (the cold start's time, a miss worth
 * the user's scale-to-zero-after), so the tier changes how long the way back takes, not how often it is
 * taken; planned with the shorter wake instead, ours dropped more often and lost attainment against
 * dedicated (docs/benchmarks.md, "When to sleep"). Without an SLO in the spec the policy cannot tell, and
 * plans as for a cold start.
 */
export function idleTerms(back: WayBack, coldStartMs: number, spec: Pick<AutoscaleSpec, 'ttftP95Ms' | 'scaleToZeroAfterMs'>): IdleTerms {
  if (back.tier === 'sleeping' && spec.ttftP95Ms !== undefined && back.ms < spec.ttftP95Ms) return { ms: back.ms, missCostMs: back.ms };
  return { ms: coldStartMs, missCostMs: spec.scaleToZeroAfterMs };
}
