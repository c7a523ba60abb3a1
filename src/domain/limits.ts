/**
 * Limits and defaults, in one place: replica bounds, GPUs per replica, the request bounds of a deployment,
 * the gateway's and the HTTP server's limits, and the cold start assumed before one was measured.
 * Creation and manual scale (domain/validation.ts), the autoscale spec's min and max (autoscaler/spec.ts),
 * the autoscaler's decisions (`capDecision`, applied by service/deployments.ts `applyAutoscale`), the gateway
 * (gateway/gateway.ts), the HTTP server (server/http-limits.ts) and the cold-start estimate
 * (server/cold-start.ts) all read them here. What a deployment may really place is bounded further by GPU
 * quota and inventory.
 */
import { InferscaleError } from '../core/errors.js';

/** The most replicas one deployment may ask for, by hand or autoscaled (the same cap for both). */
export const MAX_REPLICAS = 1000;

/** GPUs one replica may hold. */
export const GPU_COUNT = { min: 1, max: 8 } as const;

/** A bound on a deployment's numeric field: its range and the default a new deployment takes. */
export interface FieldBound {
  min: number;
  max: number;
  default: number;
}

/** What a deployment admits at once and how long it waits (the gateway's admission, the drain). */
export const DEPLOYMENT_BOUNDS = {
  maxOngoingRequests: { min: 1, max: 10_000, default: 64 },
  maxQueuedRequests: { min: 0, max: 100_000, default: 1000 },
  queueTimeoutMs: { min: 100, max: 3_600_000, default: 300_000 },
  drainTimeoutMs: { min: 0, max: 3_600_000, default: 120_000 },
} as const satisfies Record<string, FieldBound>;

/**
 * The cold start assumed before a deployment's first measured one: a local replica's process start and
 * model load. A Kubernetes zone adds its node provisioning time (zones/registry.ts `defaultColdStartMs`).
 */
export const LOCAL_COLD_START_MS = 30_000;

/** the highest GPU-hour price the cost ledger takes, on-demand or spot (USD) */
export const MAX_USD_PER_GPU_HOUR = 10_000;

/** What the gateway bounds (docs/reliability.md says why each default is what it is). */
export interface GatewayLimits {
  /** the largest request body, bytes (413 payload_too_large above it) */
  maxBodyBytes: number;
  /** request-body bytes held in memory at once, all requests together (503 server_busy above it) */
  maxBufferedBodyBytes: number;
  /** the longest a replica may take to send response headers (a non-streamed completion: its whole answer) */
  upstreamHeadersTimeoutMs: number;
  /** the longest a replica may stay silent between two chunks of its response, and a client leave it unread */
  upstreamIdleTimeoutMs: number;
}

export const DEFAULT_GATEWAY_LIMITS: Readonly<GatewayLimits> = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxBufferedBodyBytes: 256 * 1024 * 1024,
  upstreamHeadersTimeoutMs: 10 * 60_000,
  upstreamIdleTimeoutMs: 5 * 60_000,
};

/** The gateway limits given over the defaults, checked. */
export function gatewayLimits(given?: Partial<GatewayLimits>): GatewayLimits {
  return limitsWithDefaults('gateway', DEFAULT_GATEWAY_LIMITS, given);
}

/**
 * How long a client may take to send a request, and how many connections the server keeps. These bound
 * receiving a request only: a response (a stream of tokens) is bounded by the gateway's own timeouts
 * (queue timeout, upstream timeouts), never cut by these. docs/reliability.md says why each default is what it is.
 */
export interface HttpLimits {
  /** the request line and headers must arrive within this (a slow-headers client is answered 408 and closed) */
  headersTimeoutMs: number;
  /** the whole request, headers and body, must arrive within this */
  requestTimeoutMs: number;
  /** a kept-alive connection with no request in progress is closed after this */
  keepAliveTimeoutMs: number;
  /** how often the two timeouts above are checked (their precision) */
  checkIntervalMs: number;
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 65_000,
  checkIntervalMs: 1_000,
  maxConnections: 20_000,
};

/** The HTTP limits given over the defaults, checked (call before anything starts). */
export function httpLimits(given?: Partial<HttpLimits>): HttpLimits {
  const l = limitsWithDefaults('http', DEFAULT_HTTP_LIMITS, given);
  if (l.headersTimeoutMs > l.requestTimeoutMs) {
    throw new InferscaleError(
      'invalid_argument',
      `http.headersTimeoutMs (${l.headersTimeoutMs}) must not exceed http.requestTimeoutMs (${l.requestTimeoutMs})`,
      { field: 'http.headersTimeoutMs' },
    );
  }
  return l;
}

/** Limits given over their defaults, each checked to be a positive integer (`group` names them in errors). */
export function limitsWithDefaults<T extends object>(group: string, defaults: Readonly<T>, given: Partial<T> = {}): T {
  const l = { ...defaults, ...given };
  for (const [k, v] of Object.entries(l)) {
    if (!Number.isInteger(v) || (v as number) <= 0)
      throw new InferscaleError('invalid_argument', `${group}.${k}: must be a positive integer, got ${v}`, { field: `${group}.${k}` });
  }
  return l;
}

export interface DecisionBounds {
  /** the autoscale spec's bounds */
  min: number;
  max: number;
  /** the most replicas quota and GPU inventory place, and why in words */
  placeable: number;
  placeableWhy: string;
}

/**
 * An autoscaler decision brought within bounds, never refused: into [min, max] (and MAX_REPLICAS), and a
 * scale-up no further than what is placeable (but never below `current`: a cap on growth does not shrink a
 * deployment). `note` says each cap ("capped at N: why"); null when the decision stands as asked.
 */
export function capDecision(desired: number, current: number, b: DecisionBounds): { replicas: number; note: string | null } {
  const notes: string[] = [];
  let n = Number.isFinite(desired) ? Math.max(0, Math.round(desired)) : current;
  const max = Math.min(b.max, MAX_REPLICAS);
  if (n > max) {
    n = max;
    notes.push(`capped at ${n}: the autoscale maximum`);
  } else if (n < b.min) {
    n = b.min;
    notes.push(`raised to ${n}: the autoscale minimum`);
  }
  if (n > current && n > b.placeable) {
    n = Math.max(current, b.placeable);
    notes.push(`capped at ${n}: ${b.placeableWhy}`);
  }
  return { replicas: n, note: notes.length ? notes.join('; ') : null };
}
