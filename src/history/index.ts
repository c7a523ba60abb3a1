/**
 * Metrics history: what other modules use.
 *
 * - `HistoryStore.record(deploymentId, sample)` / `.demandHistory(deploymentId, sinceMs)`: the long-term
 *   store (1 s in memory for 15 min, 10 s for a day, 5 min for 30 days). In the server the
 *   HistorySampler already records every deployment once a second: do not record the same samples again.
 * - `takeWindow(route, consumer)`: the only reader of a route's window counters (arrivals, TTFT, wait,
 *   prefill, completions: src/gateway/window-stats.ts). Each consumer (e.g. "history", "leader") gets every
 *   request since its own previous call.
 * - `HistorySampler.onSample(fn)`: the 1 s LoadSample of every deployment, already taken; the simplest
 *   way for the autoscaler loop to be fed without a second timer.
 */
export { HistoryStore, type Series, RAW_KEEP_MS, FINE_MS, COARSE_MS } from './store.js';
export { HistorySampler, replicaCounts, tokenCounter, type SampleListener } from './sampler.js';
export { takeWindow, loadSample, windowSample, quantile, type Window } from './window.js';
export type { HistorySample, HistoryPoint } from './bucket.js';
