/**
 * Reads each ready replica's engine signals (running, waiting, KV-cache use: src/engines/engine-metrics.ts)
 * from its `/metrics`, every `intervalMs` (2 s), off the request path: at most one scrape in flight per
 * replica, each bounded to `timeoutMs` (1 s) and `maxBytes` (1 MiB). The result is left on the replica's
 * route (`ReplicaRoute.engine`); a failed or unreadable scrape, or a replica that is not ready, clears it,
 * so nothing stale is ever read. Readers: the gateway's /metrics (GatewayMetrics), the history sampler
 * (the engines' waiting requests in the LoadSample's `queued`) and `deployment show`.
 */
import type { Clock, Timer } from '../core/clock.js';
import { parseEngineMetrics } from '../engines/engine-metrics.js';
import type { ReplicaRoute } from './route-table.js';

export interface EngineScraperOptions {
  clock: Clock;
  /** the replicas to scrape, read at each round */
  replicas: () => Iterable<ReplicaRoute>;
  intervalMs?: number;
  timeoutMs?: number;
  maxBytes?: number;
}

export const SCRAPE_INTERVAL_MS = 2000;
export const SCRAPE_TIMEOUT_MS = 1000;
export const SCRAPE_MAX_BYTES = 1 << 20;

export class EngineScraper {
  private timer?: Timer;
  private running = false;
  private readonly inFlight = new Set<ReplicaRoute>();
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(private readonly o: EngineScraperOptions) {
    this.intervalMs = o.intervalMs ?? SCRAPE_INTERVAL_MS;
    this.timeoutMs = o.timeoutMs ?? SCRAPE_TIMEOUT_MS;
    this.maxBytes = o.maxBytes ?? SCRAPE_MAX_BYTES;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One round: a scrape for each ready replica that has none in flight; the others' signals cleared. */
  round(): Promise<void>[] {
    const out: Promise<void>[] = [];
    for (const r of this.o.replicas()) {
      if (!r.ready || r.retired) {
        r.engine = undefined;
        continue;
      }
      if (this.inFlight.has(r)) continue;
      this.inFlight.add(r);
      out.push(this.scrape(r).finally(() => this.inFlight.delete(r)));
    }
    return out;
  }

  private schedule(): void {
    this.timer = this.o.clock.setTimeout(() => {
      if (!this.running) return;
      this.round();
      this.schedule();
    }, this.intervalMs);
  }

  private async scrape(r: ReplicaRoute): Promise<void> {
    const ac = new AbortController();
    const t = this.o.clock.setTimeout(() => ac.abort(), this.timeoutMs);
    try {
      const res = await r.pool.request({ path: '/metrics', method: 'GET', signal: ac.signal, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
      // destroying the body (cut short) makes it emit an abort error: expected, not a crash
      res.body.on('error', () => undefined);
      if (res.statusCode !== 200) {
        res.body.destroy();
        r.engine = undefined;
        return;
      }
      const parts: Buffer[] = [];
      let n = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n > this.maxBytes) {
          res.body.destroy();
          r.engine = undefined;
          return;
        }
        parts.push(chunk);
      }
      r.engine = parseEngineMetrics(Buffer.concat(parts).toString('utf8'));
    } catch {
      r.engine = undefined;
    } finally {
      t.cancel();
    }
  }
}
