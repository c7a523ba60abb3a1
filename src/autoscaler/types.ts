/**
 * The contract between the autoscaling policies and whatever feeds them: the live controller (fed by the
 * gateway every second) and the simulator (fed by its virtual clock). Policies are pure: they take a
 * PolicyInput and their previous state and return a decision and their next state. They never read a clock.
 */

/** One observation of a deployment's load, taken every `sampleIntervalMs` (1 s live). */
export interface LoadSample {
  /** ms timestamp of the end of the sample interval */
  at: number;
  /** requests in flight at the replicas (being served), averaged over the interval */
  ongoing: number;
  /** requests waiting: in the gateway queue plus the engines' own waiting queues, at sample time */
  queued: number;
  /** requests that arrived during the interval */
  arrivals: number;
  /** p95 time to first token of requests that got their first token during the interval, if any */
  ttftP95Ms?: number;
  /**
   * The split of that TTFT, for the requests that got their first token during the interval: p95 of the
   * time they waited for a slot (gateway queue + engine queue: what more replicas can shorten), and the
   * mean prefill time (TTFT minus the wait: what more replicas cannot shorten) with their mean prompt
   * tokens. Absent when the feeder cannot tell (then the whole TTFT counts as wait).
   */
  waitP95Ms?: number;
  prefillMs?: number;
  promptTokens?: number;
  /** requests that finished during the interval, with their mean slot time (start to last token, ms) */
  completions?: number;
  serviceMs?: number;
  /** mean inter-token latency of the requests that finished during the interval (those with 2+ tokens), ms */
  itlMs?: number;
}

/** A bucketed point of long-term demand history (e.g. 5 min buckets), kept in the store across restarts. */
export interface DemandPoint {
  /** ms timestamp of the bucket start */
  at: number;
  /** average concurrent requests (ongoing + queued) over the bucket */
  concurrency: number;
  /** arrivals per second over the bucket */
  rate: number;
}

export interface ReplicaCounts {
  /** ready replicas taking traffic */
  ready: number;
  /** replicas on their way: pending placement, or started and still loading */
  starting: number;
  /** replicas being drained before they stop (not capacity any more) */
  draining: number;
  /** the replica count the controller currently wants (last decision applied) */
  desired: number;
}

export interface PolicyInput {
  now: number;
  /** recent samples, oldest first; the feeder keeps at least the longest window a policy needs (1 h) */
  samples: readonly LoadSample[];
  replicas: ReplicaCounts;
  /** measured cold-start time of this deployment (median of recent replica starts), or a default */
  coldStartMs: number;
  /**
   * the three tiers: replicas asleep (process kept, weights off the GPU: a wake away) and the measured wake
   * time (median of recent wakes, or an estimate). Absent or 0 sleeping: every replica not running is a cold start away.
   */
  sleeping?: number;
  wakeMs?: number;
  /** requests held at the gateway because there is no replica (scale-from-zero signal) */
  heldAtZero: number;
  /** long-term demand history for forecasting, oldest first (may be empty) */
  history: readonly DemandPoint[];
  /** the most replicas that quota and GPU inventory allow for this deployment, if bounded */
  placeableReplicas?: number;
}

export interface PolicyResult<S> {
  desired: number;
  /** one human-readable line with the numbers behind the decision */
  reason: string;
  state: S;
  /**
   * The policy wants to be asked again by this time even if nothing changes (a planned pre-warm): a feeder
   * that asks less often while idle (the simulator's fast idle path) asks then. Absent: no such time.
   */
  wakeAt?: number;
  /**
   * optional: a small summary of what the policy has learned (e.g. a fitted capacity model's coefficients),
   * flat values for display; the live loop shows the latest in `deployment show` and the dashboard
   */
  model?: Record<string, unknown>;
  /**
   * optional: a condition that began at this decision and is worth an event even though the replica count
   * may not change (e.g. a TTFT breach that more replicas cannot fix); said once, when it begins
   */
  notice?: string;
}

export interface ScalingPolicy<S = unknown> {
  readonly name: string;
  /** how often this policy expects to be asked, ms (ours 1 s; HPA 15 s; KEDA 30 s; KPA 2 s) */
  readonly tickMs: number;
  init(now: number): S;
  decide(input: PolicyInput, state: S): PolicyResult<S>;
}

/**
 * What a policy is made from: the autoscale spec (its target, range and, for ours, everything else), plus
 * what the simulator derives per trace. Every policy aims at the spec's targetOngoingRequests per replica
 * and its maxReplicas; each baseline keeps its project's own defaults for the rest.
 */
export interface PolicySetup {
  spec: AutoscaleSpec;
  /** the baselines' minimum; undefined = each project's own default (ours always takes the spec's) */
  minReplicas?: number;
  /** static-peak / static-mean: the fixed count */
  staticReplicas?: number;
  /** SkyServe scales on request rate: overrides the spec's targetQpsPerReplica */
  targetQpsPerReplica?: number;
  /** KPA aims at the target x this (Knative default 0.7); 1 aims at the same load as the others */
  targetUtilization?: number;
}

/** One policy of the registry (src/autoscaler/policies.ts). */
export interface PolicyEntry {
  /** it runs on a live deployment (`deployment autoscale NAME --policy NAME`): the spec says all it needs */
  live: boolean;
  create(setup: PolicySetup): ScalingPolicy<unknown>;
}

/** A "weekdays 08:00-18:00 at least 3" rule: raises the floor inside the window. */
export interface ScheduleRule {
  /** days of week the window starts on, 0 = Sunday */
  days: number[];
  /** minutes after midnight, start inclusive, end exclusive; end < start wraps past midnight */
  startMinute: number;
  endMinute: number;
  minReplicas: number;
  /** the original text, for display */
  text: string;
}

export interface AutoscaleSpec {
  minReplicas: number;
  maxReplicas: number;
  targetOngoingRequests: number;
  /** optional SLO: p95 time to first token, ms */
  ttftP95Ms?: number;
  /** optional target of queued requests per replica */
  targetQueueLength?: number;
  upscaleDelayMs: number;
  downscaleDelayMs: number;
  /** runaway-billing guard: replicas added per minute at most */
  maxScaleUpPerMinute: number;
  /** idle time (no request at all) before going to zero; only when minReplicas is 0 */
  scaleToZeroAfterMs: number;
  schedules: ScheduleRule[];
  /** IANA time zone for schedules and forecast seasonality; default UTC */
  timeZone: string;
  forecast: boolean;
  /** the policy that scales the deployment, a live name of src/autoscaler/policies.ts; absent: ours */
  policy?: string;
  /** SkyServe's target requests per second per replica (needed when policy is skyserve) */
  targetQpsPerReplica?: number;
  /**
   * what a replica taken down becomes: 'sleep' keeps its process with its weights off the GPU (a wake away,
   * where its engine and provider can sleep), 'stop' ends it (a cold start away); absent: stop
   */
  idle?: IdleMode;
}

/** What a replica the autoscaler takes down becomes (src/controller/sleep.ts). */
export type IdleMode = 'sleep' | 'stop';
export const IDLE_MODES: readonly IdleMode[] = ['sleep', 'stop'];
