/**
 * Discrete-event simulation of one deployment under one scaling policy. Arrivals go through the gateway's
 * own Admission (least-outstanding routing, bounded queue with timeout) on a virtual EventClock; replicas
 * serve with the engine simulator's service model (prefillMs / interTokenMs); the policy decides every
 * `policy.tickMs` from LoadSamples taken every second, and its decisions are applied like the live
 * controller: scale-up starts replicas (ready after the cold start; starting ones count as capacity),
 * scale-down removes starting replicas first, then drains the ready ones with the fewest requests in flight.
 *
 * Timing: a request's TTFT is its wait (gateway + engine queue) plus prefillMs at the replica's running count
 * when it starts; its inter-token time is fixed at start from interTokenMs at that running count (load
 * changes during its decode do not re-time it: a documented simplification for speed).
 */
import type { InferscaleError } from '../../core/errors.js';
import { CloudSim } from '../cloud/cloud-sim.js';
import { interTokenMs, prefillMs } from '../../engines/sim/service-model.js';
import type { SimEvent } from './event-clock.js';
import type { ScalingPolicy } from '../../autoscaler/types.js';
import { buildPolicyInput } from '../../controller/policy-input.js';
import { Admission } from '../../gateway/admission.js';
import { deriveSeed, hashString, mulberry32, type Rand } from '../random.js';
import type { Trace } from '../traces/trace.js';
import { EventClock } from './event-clock.js';
import { LoadTracker } from './load-tracker.js';
import { PoolVerdicts } from '../pool/constraints.js';
import type { DeploymentResult, SimOptions } from './options.js';
import { DRAINING, type SimReplica } from './replica.js';
import { EV_READY_KIND, ReplicaSet } from './replica-set.js';

const EV_DONE = 1;
const EV_READY = EV_READY_KIND;
const EV_WAKE = 3;
const SAMPLE_MS = 1000;
/** quiet time (no load, no replica) before the fast idle path: longer than any policy's load window (60 s) */
export const IDLE_QUIET_MS = 120_000;

export class DeploymentSim {
  private readonly clock: EventClock;
  private readonly admission: Admission<SimReplica>;
  private readonly tracker: LoadTracker;
  private readonly set: ReplicaSet;
  private readonly rand: Rand;
  private readonly t0: number;
  private readonly maxNumSeqs: number;
  private readonly ttft: Float64Array;
  private readonly e2e: Float64Array;
  private totalRunning = 0;
  private engineWaiting = 0;
  private policyState: unknown;
  private wakePending = false;
  private lastDecisionAt = -Infinity;
  /** when the policy asked to be asked again (a planned pre-warm), for the fast idle path */
  private wakeAt = Infinity;
  private lastBusyAt: number;
  private failedQueueTimeout = 0;
  private failedQueueFull = 0;
  private failedRejected = 0;
  private heldAtZero = 0;
  /** the cloud model (capacity types, zones, preemptions), when on; requests it sent back to the gateway */
  private readonly cloud: CloudSim | undefined;
  private readonly retried = new Set<number>();

  constructor(
    private readonly trace: Trace,
    private readonly policy: ScalingPolicy,
    private readonly o: SimOptions,
  ) {
    this.t0 = trace.epochMs;
    this.lastBusyAt = this.t0;
    this.clock = new EventClock(this.t0);
    this.maxNumSeqs = o.engine.maxNumSeqs;
    this.rand = mulberry32(deriveSeed(o.seed, hashString(trace.name)));
    this.tracker = new LoadTracker(this.t0, SAMPLE_MS);
    this.set = new ReplicaSet(this.clock, this.t0, o.gpuCount, () => o.coldStartMs);
    if (o.cloud) {
      this.cloud = new CloudSim(o.cloud, this.clock, this.set, this.t0, o.gpuCount, mulberry32(deriveSeed(o.seed, hashString(trace.name) ^ 0xc10d)));
      this.cloud.abort = (r, now) => this.abortOn(r, now);
      this.set.cloud = this.cloud;
    }
    if (o.sleep) this.set.sleep = { wakeMs: o.sleep.wakeMs, maxSleepers: o.sleep.maxSleepers ?? 1 };
    if (o.pool) this.set.verdicts = new PoolVerdicts(o.pool);
    const n = trace.at.length;
    this.ttft = new Float64Array(n);
    this.e2e = new Float64Array(n);
    const reject = o.rejectWhenNoneReady === true;
    this.admission = new Admission<SimReplica>({
      clock: this.clock,
      maxOngoingPerReplica: o.maxOngoingPerReplica ?? o.engine.maxNumSeqs,
      maxQueued: o.maxQueued,
      queueTimeoutMs: o.queueTimeoutMs,
      retryAfterSeconds: () => Math.ceil(o.coldStartMs / 1000),
      whenEmpty: () => (reject ? 'reject' : 'hold'),
      comingReplicas: () => (reject ? 0 : this.set.starting),
      onWake: () => this.wake(),
    });
    this.set.onReadyChange = (list) => this.admission.setReplicas(list);
  }

  run(): DeploymentResult {
    const { trace, clock, tracker, admission, policy, o, t0 } = this;
    const at = trace.at;
    const n = at.length;
    const horizon = t0 + Math.max(trace.durationMs, n > 0 ? at[n - 1] : 0);
    const tickMs = Math.max(1, policy.tickMs, o.tickFloorMs ?? SAMPLE_MS);
    // only worth it (and only used) for policies asked often: coarse ones (HPA, KEDA: 15 s) stay exact
    const probeMs = (o.idleProbeMs ?? 0) >= 4 * tickMs ? (o.idleProbeMs ?? 0) : 0;
    this.policyState = policy.init(t0);
    this.set.apply(o.initialReplicas ?? 0, t0, true);
    this.decide(t0, true);
    let nextSample = t0 + SAMPLE_MS;
    let nextTick = t0 + tickMs;
    let ai = 0;
    for (;;) {
      const ta = ai < n ? t0 + at[ai] : Infinity;
      if (ai >= n && admission.ongoing === 0 && admission.queued === 0 && nextSample > horizon && nextTick > horizon) break;
      // fast idle: at zero, nothing in flight and quiet for a while: jump ahead, asking the policy every probeMs
      if (
        probeMs > 0 &&
        this.set.live === 0 &&
        admission.ongoing === 0 &&
        admission.queued === 0 &&
        tracker.arrivals === 0 &&
        nextSample - this.lastBusyAt > IDLE_QUIET_MS &&
        clock.peekTime() === Infinity
      ) {
        let probe = Math.max(nextTick, Math.min(this.lastDecisionAt + probeMs, this.wakeAt));
        probe = nextTick + Math.ceil((probe - nextTick) / tickMs) * tickMs;
        const jumpTo = Math.min(ta, probe, Math.max(horizon, nextSample));
        if (jumpTo > nextSample) {
          const lastS = nextSample + Math.floor((jumpTo - nextSample) / SAMPLE_MS) * SAMPLE_MS;
          clock.advanceTo(lastS);
          tracker.idleSamples(nextSample, lastS);
          nextSample = lastS + SAMPLE_MS;
          if (jumpTo === probe) {
            clock.advanceTo(probe);
            this.decide(probe, false);
            nextTick = probe + tickMs;
          } else if (nextTick < jumpTo) nextTick += Math.ceil((jumpTo - nextTick) / tickMs) * tickMs;
          continue;
        }
      }
      const te = clock.peekTime();
      if (te <= nextSample && te <= nextTick && te <= ta) {
        const ev = clock.pop();
        if (!ev) continue;
        clock.advanceTo(ev.at);
        tracker.integrate(ev.at, this.totalRunning);
        if (ev.kind === EV_DONE) this.finish(ev.ref as SimReplica, ev);
        else if (ev.kind === EV_READY) this.set.readyUp(ev.ref as SimReplica, ev.at);
        else if (ev.kind === EV_WAKE) {
          this.wakePending = false;
          this.decide(ev.at, false);
        } else ev.fn?.();
      } else if (nextSample <= nextTick && nextSample <= ta) {
        clock.advanceTo(nextSample);
        tracker.integrate(nextSample, this.totalRunning);
        const s = tracker.sample(nextSample, admission.queued + this.engineWaiting);
        if (s.ongoing > 0 || s.queued > 0 || s.arrivals > 0 || this.set.live > 0) this.lastBusyAt = nextSample;
        nextSample += SAMPLE_MS;
      } else if (nextTick <= ta) {
        clock.advanceTo(nextTick);
        tracker.integrate(nextTick, this.totalRunning);
        this.decide(nextTick, false);
        nextTick += tickMs;
      } else {
        clock.advanceTo(ta);
        tracker.integrate(ta, this.totalRunning);
        this.arrive(ai++);
      }
    }
    const end = Math.max(horizon, clock.now());
    this.set.stopAll(end);
    return {
      name: trace.name,
      requests: n,
      ttftMs: this.ttft,
      e2eMs: this.e2e,
      failedQueueTimeout: this.failedQueueTimeout,
      failedQueueFull: this.failedQueueFull,
      failedRejected: this.failedRejected,
      gpuMs: this.set.gpuMs,
      coldStarts: this.set.coldStarts,
      ...(o.sleep ? { wakes: this.set.wakes, sleeping: this.set.sleeping, sleepLog: this.set.sleepLog } : {}),
      ...(o.pool ? { evictions: this.set.evictions } : {}),
      scalingActions: this.set.scalingActions,
      heldAtZero: this.heldAtZero,
      timeline: this.set.timeline,
      endMs: end - t0,
      ...(this.cloud ? { cloud: this.cloud.stats } : {}),
    };
  }

  private arrive(i: number): void {
    this.tracker.arrivals++;
    let pending = true;
    this.admission.acquire((err, r) => {
      pending = false;
      if (err) this.fail(i, err);
      else this.start(i, r as SimReplica);
    });
    if (pending && this.set.ready === 0) this.heldAtZero++;
  }

  private fail(i: number, err: InferscaleError): void {
    this.ttft[i] = Infinity;
    this.e2e[i] = Infinity;
    if (this.cloud && this.retried.has(i)) this.cloud.stats.lost++;
    if (err.code === 'queue_timeout') this.failedQueueTimeout++;
    else if (err.code === 'queue_full') this.failedQueueFull++;
    else this.failedRejected++;
  }

  /** Engine side (only differs from Admission's cap when maxOngoingPerReplica > maxNumSeqs). */
  private start(i: number, r: SimReplica): void {
    if (r.running < this.maxNumSeqs) this.runOn(r, i);
    else if (r.engineWaiting < this.o.engine.maxWaiting) {
      r.waiting.push(i);
      this.engineWaiting++;
    } else {
      // the engine answers 503 engine_overloaded; the gateway gives the slot back
      this.ttft[i] = Infinity;
      this.e2e[i] = Infinity;
      this.failedRejected++;
      this.admission.release(r);
      if (r.state === DRAINING && r.inflight === 0) this.set.stop(r, this.clock.now());
    }
  }

  private runOn(r: SimReplica, i: number): void {
    const now = this.clock.now();
    const p = this.o.engine;
    r.running++;
    this.totalRunning++;
    const pre = prefillMs(this.trace.promptTokens[i], r.running, p, this.rand);
    const itl = interTokenMs(r.running, p, this.rand);
    const c = this.trace.completionTokens[i];
    const first = now + pre;
    const done = first + (c > 1 ? (c - 1) * itl : 0);
    const arrival = this.t0 + this.trace.at[i];
    this.ttft[i] = first - arrival;
    this.e2e[i] = done - arrival;
    this.tracker.firstToken(first, first - arrival, now - arrival, this.trace.promptTokens[i]);
    this.tracker.completion(done, done - now, c, done - first);
    const ev = this.clock.push(done, EV_DONE, r, i);
    r.runs?.add(ev);
  }

  private finish(r: SimReplica, ev: SimEvent): void {
    r.runs?.delete(ev);
    r.running--;
    this.totalRunning--;
    if (r.engineWaiting > 0) {
      this.engineWaiting--;
      this.runOn(r, r.shiftWaiting());
    }
    this.admission.release(r);
    if (r.state === DRAINING && r.inflight === 0) this.set.stop(r, this.clock.now());
  }

  /**
   * A reclaimed replica dies at its notice's end: requests still waiting for their first token go back through
   * the gateway queue (TTFT still from their arrival); those already streaming are cut (lost).
   */
  private abortOn(r: SimReplica, now: number): void {
    const stats = (this.cloud as CloudSim).stats;
    for (const ev of r.runs ?? []) {
      ev.cancel();
      r.running--;
      this.totalRunning--;
      this.admission.release(r);
      const i = ev.n;
      if (this.t0 + this.trace.at[i] + this.ttft[i] > now) this.retry(i);
      else {
        this.ttft[i] = Infinity;
        this.e2e[i] = Infinity;
        stats.cut++;
        stats.lost++;
      }
    }
    r.runs?.clear();
    while (r.engineWaiting > 0) {
      this.engineWaiting--;
      this.admission.release(r);
      this.retry(r.shiftWaiting());
    }
    this.set.stop(r, now);
  }

  private retry(i: number): void {
    (this.cloud as CloudSim).stats.retried++;
    this.retried.add(i);
    this.admission.acquire((err, r) => (err ? this.fail(i, err) : this.start(i, r as SimReplica)));
  }

  private wake(): void {
    if (this.o.wakeOnHeld === false || this.wakePending) return;
    this.wakePending = true;
    this.clock.push(this.clock.now(), EV_WAKE, null, 0);
  }

  private decide(now: number, warm: boolean): void {
    const set = this.set;
    set.syncEvictions(now);
    const input = buildPolicyInput({
      now,
      samples: this.tracker.samples,
      ready: set.ready,
      starting: set.starting,
      draining: set.draining,
      desired: set.desired,
      coldStartMs: this.o.coldStartMs,
      queued: this.admission.queued,
      history: this.tracker.history.history(),
      // no quota or GPU inventory here: placeableReplicas stays unbounded
      // the three tiers, as live (sleepTier): replicas asleep and the wake time where replicas sleep
      ...(this.o.sleep ? { sleeping: set.sleepers, wakeMs: this.o.sleep.wakeMs } : {}),
    });
    const res = this.policy.decide(input, this.policyState);
    this.policyState = res.state;
    this.lastDecisionAt = now;
    this.wakeAt = res.wakeAt ?? Infinity;
    set.apply(res.desired, now, warm);
  }
}
