/**
 * What the gateway measures per request, added to its deployment's window counters (`DeploymentRoute.stats`).
 * The gateway only adds here; src/history/window.ts is the one reader (it drains them into a buffer per
 * consumer and turns a window into a LoadSample). Everything but the two value lists is a plain sum, so
 * windows merge by adding (other gateways' reports included).
 */

/** The additive part of a window: counts and sums, merged by adding. */
export const WINDOW_TOTALS = ['arrivals', 'firstTokens', 'prefillMs', 'promptTokens', 'completions', 'serviceMs', 'itlRequests', 'itlMs'] as const;
export type WindowTotal = (typeof WINDOW_TOTALS)[number];

export interface Window extends Record<WindowTotal, number> {
  /** requests that arrived */
  arrivals: number;
  /** time to first token (arrival to first token, ms) of the requests that got their first token */
  ttftMs: number[];
  /** of the same requests, in the same order: the wait for a slot (arrival to dispatch at a replica, ms) */
  waitMs: number[];
  /** requests that got their first token, and the sums of their prefill (TTFT - wait, ms) and prompt tokens */
  firstTokens: number;
  prefillMs: number;
  promptTokens: number;
  /** requests answered in full (2xx), and the sum of their slot times (dispatch to last byte, ms) */
  completions: number;
  serviceMs: number;
  /** of those, the ones that streamed 2+ tokens, and the sum of their inter-token latencies, ms */
  itlRequests: number;
  itlMs: number;
}

/** A deployment's live counters: a Window plus the time of its last request activity. */
export interface WindowStats extends Window {
  lastActivityAt: number;
}

export function emptyWindow(): Window {
  return { arrivals: 0, ttftMs: [], waitMs: [], firstTokens: 0, prefillMs: 0, promptTokens: 0, completions: 0, serviceMs: 0, itlRequests: 0, itlMs: 0 };
}

/** A streamed request's first token: `ttftMs` from arrival, `waitMs` from arrival to dispatch. */
export function recordFirstToken(w: Window, ttftMs: number, waitMs: number, promptTokens: number): void {
  w.ttftMs.push(ttftMs);
  w.waitMs.push(waitMs);
  w.firstTokens++;
  w.prefillMs += Math.max(0, ttftMs - waitMs);
  w.promptTokens += promptTokens;
}

/**
 * A request answered in full: `slotMs` from dispatch to its end; for a stream, `sinceFirstTokenMs` (its first
 * token to its end) over `tokens - 1` is its inter-token latency, counted when it has 2+ tokens.
 */
export function recordCompletion(w: Window, slotMs: number, tokens: number | undefined, sinceFirstTokenMs: number | undefined): void {
  w.completions++;
  w.serviceMs += Math.max(0, slotMs);
  if (sinceFirstTokenMs !== undefined && tokens !== undefined && tokens >= 2) {
    w.itlRequests++;
    w.itlMs += Math.max(0, sinceFirstTokenMs) / (tokens - 1);
  }
}
