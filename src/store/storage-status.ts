import type { Clock, Timer } from '../core/clock.js';

/** Whether an error says the disk (or quota) is full: ENOSPC, EDQUOT, or SQLite's SQLITE_FULL. */
export function isStorageFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

export interface StorageView {
  full: boolean;
  /** when the first write failed (ISO time), while full */
  since?: string;
  /** the periodic writers that failed since, with their failure counts and last message */
  writers?: { writer: string; failures: number; error: string }[];
}

/**
 * What the server's periodic writers (request log, history sampler, cost ledger, controller events) do
 * when the disk fills: each write runs through `guard`; a disk-full failure is counted and logged once
 * for the episode (not once a second), and the writer carries on at its next turn, so the server keeps
 * serving. While full, `probe` (a tiny write) is tried every `probeMs`; when it succeeds the episode ends
 * and that is logged. /healthz shows the state (`view`).
 */
export class StorageStatus {
  private fullSince: number | undefined;
  private readonly failing = new Map<string, { failures: number; error: string }>();
  private timer?: Timer;
  private stopped = false;

  constructor(private readonly o: { clock: Clock; log: (line: string) => void; probe: () => void; probeMs?: number }) {}

  /** Runs one write of `writer`: true when it ran; false when the disk was full. Any other error is thrown. */
  guard(writer: string, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (e) {
      if (!isStorageFull(e)) throw e;
      this.failed(writer, e as Error);
      return false;
    }
  }

  /** Records a disk-full failure of `writer` (for writers that catch their own errors). */
  failed(writer: string, e: Error): void {
    const w = this.failing.get(writer) ?? { failures: 0, error: '' };
    w.failures++;
    w.error = e.message;
    this.failing.set(writer, w);
    if (this.fullSince !== undefined) return;
    this.fullSince = this.o.clock.now();
    this.o.log(`storage full (${writer}: ${e.message}): still serving; the request log, history, cost and events are not written until space returns`);
    this.schedule();
  }

  get full(): boolean {
    return this.fullSince !== undefined;
  }

  view(): StorageView {
    if (this.fullSince === undefined) return { full: false };
    return { full: true, since: new Date(this.fullSince).toISOString(), writers: [...this.failing].map(([writer, w]) => ({ writer, ...w })) };
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      try {
        this.o.probe();
      } catch {
        this.schedule();
        return;
      }
      const lost = [...this.failing].map(([w, f]) => `${w} ${f.failures}`).join(', ');
      this.o.log(`storage writable again after ${Math.round((this.o.clock.now() - this.fullSince!) / 1000)} s (failed writes: ${lost})`);
      this.fullSince = undefined;
      this.failing.clear();
    }, this.o.probeMs ?? 2000);
  }
}
