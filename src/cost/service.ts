/**
 * Cost attribution behind the API and the CLI: prices per GPU type, the ledger, and reports. Virtual GPUs
 * without a price are billed at a nominal DEFAULT_VIRTUAL_USD_PER_GPU_HOUR so that cost figures move in
 * demos and tests; real GPU types without a price cost 0 and are reported as "unset".
 */
import type { Clock } from '../core/clock.js';
import { invalid } from '../core/errors.js';
import { MAX_USD_PER_GPU_HOUR } from '../domain/limits.js';
import type { DeploymentRow, Store } from '../store/store.js';
import type { GpuDevice } from '../placement/inventory.js';
import type { HistoryStore } from '../history/store.js';
import { CostLedger } from './ledger.js';
import { gpusPerReplica, typeMemoryMb } from '../placement/placement.js';
import { parseSince } from './meter.js';
import { costReport, validBy, type CostReport, type Price } from './report.js';
import { CapacityStore } from '../service/capacity-store.js';
import { checkSpotPrice } from './spot-price.js';

export const DEFAULT_VIRTUAL_USD_PER_GPU_HOUR = 1;

export interface CostServiceOptions {
  store: Pick<Store, 'db' | 'listDeployments' | 'listReplicas'>;
  history: Pick<HistoryStore, 'totals'>;
  clock: Clock;
  inventory: readonly GpuDevice[];
  /** GPUs one replica of a deployment is charged (DeploymentService.gpusPerReplica); default: from the inventory */
  gpusPerReplica?: (d: DeploymentRow) => number;
}

export class CostService {
  readonly ledger: CostLedger;
  /** spot prices (module "capacity") */
  private readonly spot: CapacityStore;

  constructor(private readonly o: CostServiceOptions) {
    this.ledger = new CostLedger(o.store.db, o.store, o.gpusPerReplica ?? ((d) => gpusPerReplica(d, typeMemoryMb(o.inventory, d.gpuType))));
    this.spot = new CapacityStore(o.store.db);
  }

  /** Mirrors replica start/stop times into the ledger (the sampler calls this every second). */
  sync(now = this.o.clock.now()): void {
    this.ledger.sync(now);
  }

  price(gpuType: string, set = this.ledger.prices(), spot = this.spot.spotPrices()): Price {
    if (set[gpuType] !== undefined)
      return { gpuType, usdPerGpuHour: set[gpuType], source: 'set', ...(spot[gpuType] !== undefined ? { spotUsdPerGpuHour: spot[gpuType] } : {}) };
    if (this.o.inventory.some((g) => g.type === gpuType && g.virtual))
      return { gpuType, usdPerGpuHour: DEFAULT_VIRTUAL_USD_PER_GPU_HOUR, source: 'default-virtual' };
    return { gpuType, usdPerGpuHour: 0, source: 'unset' };
  }

  /** Every GPU type in the inventory or with a price set. */
  prices(): Price[] {
    const set = this.ledger.prices();
    const spot = this.spot.spotPrices();
    const types = [...new Set([...this.o.inventory.map((g) => g.type), ...Object.keys(set)])].sort();
    return types.map((t) => this.price(t, set, spot));
  }

  /**
   * Sets a GPU type's on-demand price and, when `spotUsdPerGpuHour` is given, its spot price (null removes
   * it; undefined keeps it). A spot price above the on-demand one is refused and nothing changes; removing
   * the on-demand price removes the spot price too.
   */
  setPrice(gpuType: string, usdPerGpuHour: number | null, spotUsdPerGpuHour?: number | null): Price[] {
    checkGpuPrice(gpuType, usdPerGpuHour);
    const spot = spotUsdPerGpuHour === undefined ? (this.spot.spotPrices()[gpuType] ?? null) : spotUsdPerGpuHour;
    if (usdPerGpuHour !== null) checkSpotPrice(gpuType, usdPerGpuHour, spot);
    this.o.store.db.transaction(() => {
      this.ledger.setPrice(gpuType, usdPerGpuHour);
      this.spot.setSpotPrice(gpuType, usdPerGpuHour === null ? null : spot);
    })();
    return this.prices();
  }

  /** The report for `since` ("7d", an ISO date, epoch ms; absent: since the ledger began) grouped by `by`. */
  report(o: { since?: string; by?: string } = {}): CostReport {
    const now = this.o.clock.now();
    const by = o.by ?? 'deployment';
    if (!validBy(by)) throw invalid('by', `must be "deployment", "gpu-type" or "label:KEY" (e.g. label:team), got "${by}"`);
    let sinceMs: number | undefined;
    if (o.since !== undefined && o.since !== '' && o.since !== 'all') {
      sinceMs = parseSince(o.since, now);
      if (sinceMs === undefined || sinceMs > now) throw invalid('since', `must be a duration like 30m, 24h, 7d, or a date, got "${o.since}"`);
    }
    this.sync(now);
    const set = this.ledger.prices();
    const spot = this.spot.spotPrices();
    const from = sinceMs ?? 0;
    return costReport({
      now,
      sinceMs,
      by,
      usage: this.ledger.usage(from),
      live: this.o.store.listDeployments().filter((d) => !d.deleting),
      price: (t) => this.price(t, set, spot),
      totals: (id) => this.o.history.totals(id, from, now),
    });
  }
}

/** A GPU price as the API takes it (and the cluster's settings are checked against): throws invalid_argument. */
export function checkGpuPrice(gpuType: string, usdPerGpuHour: unknown): asserts usdPerGpuHour is number | null {
  if (!/^[a-z0-9][a-z0-9._-]{0,31}$/.test(gpuType)) throw invalid('gpuType', 'must be 1-32 of a-z 0-9 . _ -');
  if (
    usdPerGpuHour !== null &&
    (typeof usdPerGpuHour !== 'number' || !Number.isFinite(usdPerGpuHour) || usdPerGpuHour < 0 || usdPerGpuHour > MAX_USD_PER_GPU_HOUR)
  ) {
    throw invalid('usdPerGpuHour', `must be a number of USD per GPU-hour between 0 and ${MAX_USD_PER_GPU_HOUR} (or null to remove the price)`);
  }
}
