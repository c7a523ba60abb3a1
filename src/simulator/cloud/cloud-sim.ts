/**
 * The cloud under one simulated deployment (issue #17): decides where each replica of the count the scaling
 * policy asks for runs (on-demand, or spot in a zone), launches its node (a drawn launch time before the cold
 * start), bills it at its capacity's price, and plays the zones' availability: a zone going down gives its spot
 * replicas the notice (out of rotation at once, a replacement asked for at once, dead at the notice's end) and
 * takes no new spot replica until it is back up.
 *
 * Capacity policies: `on-demand`, `spot` (a replica waits while no zone has spot), `mixed` (ours: the shared
 * chooseCapacity of the live provider: the floor on on-demand, the rest on spot, on-demand once spot has been
 * short past the bound, moved back to spot once a zone has had spot for the bound again, a spot replica beside
 * each before the on-demand one drains; no zone holds more than its share of the spot replicas, the ones
 * beyond run on on-demand until a zone has room), `skyserve` (spot target T - B, on-demand B + max(0, (T - B) - readySpot): on-demand covers while spot
 * is not ready; SpotHedge zones).
 */
import { chooseCapacity } from '../../domain/capacity-choice.js';
import type { EventClock } from '../engine/event-clock.js';
import type { CapacityHooks } from '../engine/capacity-hooks.js';
import { type CloudPlacement, READY, SimReplica, STARTING, STOPPED } from '../engine/replica.js';
import type { ReplicaSet } from '../engine/replica-set.js';
import type { Rand } from '../random.js';
import { replicaUsdPerHour } from './catalog.js';
import { type CloudOptions, type CloudStats, emptyStats } from './options.js';
import { drawLaunchMs } from './provisioning.js';
import { markPreempted, skyServeOnDemand, spotHedgeZone, spreadZone, zoneShareCap } from './zone-choice.js';

const HOUR_MS = 3_600_000;

const placement = (): CloudPlacement => ({
  capacity: undefined,
  zone: -1,
  usdPerHour: 0,
  billFrom: -1,
  pendingSince: -1,
  extra: false,
  replaces: null,
  fallback: false,
  mover: null,
  reclaimed: false,
});

export class CloudSim implements CapacityHooks {
  readonly stats: CloudStats = emptyStats();
  private readonly up: boolean[];
  /** times each zone came up (a move back waits for the zone to stay up a bound) */
  private readonly upEpoch: number[];
  /** SpotHedge's marks (skyserve) */
  private active: boolean[];
  /** replicas with a node or waiting for one (the count's and the extras) */
  private readonly live = new Set<SimReplica>();
  private readonly pending: SimReplica[] = [];
  private nextExtra = 0;
  /** the deployment's side: aborts what a replica still runs at its notice's end */
  abort: (r: SimReplica, now: number) => void = () => {};

  constructor(
    private readonly o: CloudOptions,
    private readonly clock: EventClock,
    private readonly set: ReplicaSet,
    t0: number,
    private readonly gpuCount: number,
    private readonly rand: Rand,
  ) {
    this.up = o.zones.map((z) => !(z.down.length > 0 && z.down[0][0] <= 0));
    this.active = o.zones.map(() => true);
    this.upEpoch = o.zones.map(() => 0);
    o.zones.forEach((z, k) => {
      for (const [a, b] of z.down) {
        if (a > 0) clock.push(t0 + a, 0, null, 0, () => this.zoneDown(k, t0 + a));
        clock.push(t0 + b, 0, null, 0, () => this.zoneUp(k, t0 + b));
      }
    });
  }

  // ---- CapacityHooks

  place(r: SimReplica, now: number, warm: boolean): number {
    const c = placement();
    r.cloud = c;
    r.runs = new Set();
    this.live.add(r);
    const launch = () => (warm ? 0 : drawLaunchMs(this.o.launch, this.rand));
    if (this.wants(now) === 'on-demand') {
      const { onDemand } = this.counts();
      if (this.o.capacity === 'mixed' && onDemand >= this.o.onDemandFloor) {
        c.fallback = true;
        this.stats.fallbacks++;
      }
      this.assign(r, 'on-demand', -1, now);
      return launch();
    }
    const zone = this.spotZone();
    if (zone < 0 && this.capped()) {
      // spot is there but each zone up holds its share: on-demand now, moved back once a zone has room
      c.fallback = true;
      this.stats.fallbacks++;
      this.assign(r, 'on-demand', -1, now);
      this.clock.push(now + this.o.fallbackAfterMs, 0, null, 0, () => this.moveBack(this.clock.now()));
      return launch();
    }
    if (zone < 0) {
      c.pendingSince = now;
      this.pending.push(r);
      if (this.o.capacity === 'mixed') this.clock.push(now + this.o.fallbackAfterMs, 0, null, 0, () => this.fallBack(this.clock.now()));
      return Infinity;
    }
    this.assign(r, 'spot', zone, now);
    return launch();
  }

  onDemandFloor(): number {
    return this.o.capacity === 'mixed' ? this.o.onDemandFloor : 0;
  }

  stopped(r: SimReplica, now: number): number {
    const c = r.cloud;
    this.live.delete(r);
    if (!c) return 0;
    if (c.replaces?.cloud?.mover === r) c.replaces.cloud.mover = null;
    const i = this.pending.indexOf(r);
    if (i >= 0) this.pending.splice(i, 1);
    if (c.mover) this.set.retireExtra(c.mover, now);
    if (c.billFrom < 0) return 0;
    const ms = now - c.billFrom;
    this.stats.costUsd += (ms / HOUR_MS) * c.usdPerHour;
    if (c.capacity === 'spot') this.stats.spotHours += ms / HOUR_MS;
    else this.stats.onDemandHours += ms / HOUR_MS;
    return ms;
  }

  extraReady(r: SimReplica, now: number): void {
    const old = r.cloud?.replaces;
    if (!old) {
      this.set.routeExtra(r);
      this.changed(now);
      return;
    }
    if (old.cloud) old.cloud.mover = null;
    if (old.state === STOPPED || old.state !== READY || old.cloud?.reclaimed) {
      this.set.retireExtra(r, now);
      return;
    }
    (r.cloud as CloudPlacement).extra = false;
    (r.cloud as CloudPlacement).replaces = null;
    this.stats.movesBack++;
    this.set.swapIn(r, old, now);
  }

  changed(now: number): void {
    if (this.o.capacity === 'skyserve') this.skyServeCovers(now);
  }

  *startingExtras(): Iterable<SimReplica> {
    for (const r of this.live) if (r.cloud?.extra && r.state === STARTING) yield r;
  }

  // ---- decisions

  /** on-demand or spot for the next replica of the count */
  private wants(now: number): 'on-demand' | 'spot' {
    const { onDemand, spot } = this.counts();
    const cap = this.o.capacity;
    if (cap === 'skyserve') return onDemand < this.o.onDemandFloor ? 'on-demand' : 'spot';
    const spec = { capacity: cap, onDemandFloor: cap === 'mixed' ? this.o.onDemandFloor : 0 };
    return chooseCapacity({ spec, onDemand, spot, spotShortSince: this.shortSince(), now, fallbackAfterMs: this.o.fallbackAfterMs });
  }

  /** the count's replicas on each capacity (waiting for spot counts as spot) */
  private counts(): { onDemand: number; spot: number; readySpot: number; covers: SimReplica[] } {
    let onDemand = 0;
    let spot = 0;
    let readySpot = 0;
    const covers: SimReplica[] = [];
    for (const r of this.live) {
      const c = r.cloud as CloudPlacement;
      if (c.reclaimed || r.state === STOPPED || r.state > READY) continue;
      if (c.extra) {
        if (c.replaces === null) covers.push(r);
      } else if (c.capacity === 'on-demand') onDemand++;
      else {
        spot++;
        if (r.state === READY) readySpot++;
      }
    }
    return { onDemand, spot, readySpot, covers };
  }

  private shortSince(): number | undefined {
    let since: number | undefined;
    for (const r of this.pending) {
      const t = (r.cloud as CloudPlacement).pendingSince;
      if (since === undefined || t < since) since = t;
    }
    return since;
  }

  private spotPerZone(): number[] {
    const n = this.up.map(() => 0);
    for (const r of this.live) {
      const c = r.cloud as CloudPlacement;
      if (c.capacity === 'spot' && c.zone >= 0 && !c.reclaimed) n[c.zone]++;
    }
    return n;
  }

  /** mixed: a zone has spot, but every zone with spot holds its share of the spot replicas */
  private capped(): boolean {
    return this.o.capacity === 'mixed' && this.up.some(Boolean);
  }

  private spotZone(): number {
    const per = this.spotPerZone();
    if (this.o.capacity === 'mixed') return spreadZone(this.up, per, zoneShareCap(this.set.desired - this.o.onDemandFloor, this.up.length));
    if (this.o.capacity !== 'skyserve') return spreadZone(this.up, per);
    const { zone, active } = spotHedgeZone(this.active, this.up, per);
    this.active = active;
    return zone;
  }

  private assign(r: SimReplica, capacity: 'on-demand' | 'spot', zone: number, now: number): void {
    const c = r.cloud as CloudPlacement;
    c.capacity = capacity;
    c.zone = zone;
    c.usdPerHour = replicaUsdPerHour(this.o.node, this.gpuCount, capacity);
    c.billFrom = now;
    c.pendingSince = -1;
  }

  /** mixed: replicas waiting for spot past the bound go on on-demand */
  private fallBack(now: number): void {
    for (const r of [...this.pending]) {
      if (this.wants(now) !== 'on-demand') return;
      this.pending.splice(this.pending.indexOf(r), 1);
      this.toOnDemand(r, now);
    }
  }

  /** a replica that waited for spot launches on on-demand, to be moved back (counted a fallback) */
  private toOnDemand(r: SimReplica, now: number): void {
    (r.cloud as CloudPlacement).fallback = true;
    this.stats.fallbacks++;
    this.assign(r, 'on-demand', -1, now);
    this.set.launch(r, now, drawLaunchMs(this.o.launch, this.rand));
  }

  /** an extra replica outside the count, launched now */
  private startExtra(capacity: 'on-demand' | 'spot', zone: number, replaces: SimReplica | null, now: number): SimReplica {
    const r = new SimReplica(`x${this.nextExtra++}`, now);
    r.cloud = { ...placement(), extra: true, replaces };
    r.runs = new Set();
    this.live.add(r);
    this.assign(r, capacity, zone, now);
    this.set.startExtra(r, now, drawLaunchMs(this.o.launch, this.rand));
    return r;
  }

  /** SkyServe: on-demand covers for the spot target's replicas not ready */
  private skyServeCovers(now: number): void {
    const { onDemand, readySpot, covers } = this.counts();
    const want = Math.max(0, skyServeOnDemand(this.set.desired, this.o.onDemandFloor, readySpot) - onDemand);
    for (let k = covers.length; k < want; k++) {
      this.stats.fallbacks++;
      this.startExtra('on-demand', -1, null, now);
    }
    if (covers.length > want) {
      // starting ones first, then the ready ones with the fewest requests in flight
      covers.sort((a, b) => Number(a.state === READY) - Number(b.state === READY) || a.inflight - b.inflight);
      for (const r of covers.slice(0, covers.length - want)) this.set.retireExtra(r, now);
    }
  }

  // ---- zones

  private zoneDown(k: number, now: number): void {
    this.up[k] = false;
    let preempted = 0;
    for (const r of [...this.live]) {
      const c = r.cloud as CloudPlacement;
      if (c.capacity !== 'spot' || c.zone !== k || c.reclaimed || r.state === STOPPED) continue;
      this.stats.preemptions++;
      preempted++;
      c.reclaimed = true;
      if (c.extra) {
        this.set.retireExtra(r, now);
        continue;
      }
      const wasReady = r.state === READY;
      this.set.reclaim(r, now);
      if (wasReady && r.state !== STOPPED) this.clock.push(now + this.o.noticeMs, 0, null, 0, () => r.state !== STOPPED && this.abort(r, this.clock.now()));
    }
    // SpotHedge learns of the zone only from a preemption there
    if (this.o.capacity === 'skyserve' && preempted > 0) this.active = markPreempted(this.active, k);
    this.changed(now);
  }

  private zoneUp(k: number, now: number): void {
    this.up[k] = true;
    while (this.pending.length > 0) {
      const zone = this.spotZone();
      if (zone < 0) {
        // the zones up hold their shares: the rest go on on-demand now (moved back below once there is room)
        if (this.capped()) for (const r of this.pending.splice(0)) this.toOnDemand(r, now);
        break;
      }
      const r = this.pending.shift() as SimReplica;
      this.assign(r, 'spot', zone, now);
      this.set.launch(r, now, drawLaunchMs(this.o.launch, this.rand));
    }
    // as the live provider: the move back is tried a bound after spot returned, if it is still there
    const epoch = ++this.upEpoch[k];
    if (this.o.capacity === 'mixed')
      this.clock.push(now + this.o.fallbackAfterMs, 0, null, 0, () => this.up[k] && this.upEpoch[k] === epoch && this.moveBack(this.clock.now()));
    this.changed(now);
  }

  /** mixed: a spot replica beside each fallback on-demand one; it takes its place once ready */
  private moveBack(now: number): void {
    for (const r of [...this.live]) {
      const c = r.cloud as CloudPlacement;
      if (!c.fallback || c.extra || c.mover || c.reclaimed || r.state === STOPPED || r.state > READY) continue;
      const zone = this.spotZone();
      if (zone < 0) return;
      c.mover = this.startExtra('spot', zone, r, now);
    }
  }
}
