/**
 * Every error a user can see is an InferscaleError with a stable `code`. The HTTP status for each code
 * lives in exactly one table (`httpStatusFor`), used by the API and the gateway error boundaries.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'quota_exceeded'
  | 'insufficient_capacity'
  | 'immutable_field'
  | 'conflict'
  | 'autoscaling_enabled'
  | 'unauthorized'
  | 'forbidden'
  | 'deployment_stopped'
  | 'deployment_deleted'
  | 'deployment_starting'
  | 'no_ready_replica'
  | 'queue_full'
  | 'queue_timeout'
  | 'upstream_error'
  | 'upstream_timeout'
  | 'server_busy'
  | 'payload_too_large'
  | 'unsupported'
  | 'model_in_use'
  | 'no_leader'
  | 'cluster_write_failed'
  | 'bad_request'
  | 'headers_too_large'
  | 'request_timeout'
  | 'method_not_allowed'
  | 'storage_full'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  quota_exceeded: 409,
  insufficient_capacity: 409,
  immutable_field: 400,
  conflict: 409,
  autoscaling_enabled: 409,
  unauthorized: 401,
  forbidden: 403,
  deployment_stopped: 503,
  /** the deployment is being deleted (its URL and key are gone): not worth retrying */
  deployment_deleted: 410,
  deployment_starting: 503,
  no_ready_replica: 503,
  queue_full: 503,
  queue_timeout: 503,
  upstream_error: 502,
  /** a replica sent no response headers, or went silent mid-response, for longer than the gateway's upstream timeouts */
  upstream_timeout: 504,
  /** the gateway holds as many request-body bytes as it may (all requests together) */
  server_busy: 503,
  payload_too_large: 413,
  unsupported: 400,
  model_in_use: 409,
  no_leader: 503,
  /** a request the HTTP parser could not read (malformed request line, headers or framing) */
  bad_request: 400,
  headers_too_large: 431,
  /** the client took longer than the headers or request timeout to send its request */
  request_timeout: 408,
  method_not_allowed: 405,
  /** HA: the change was made on the leader but writing it to the cluster (the state of record) failed */
  cluster_write_failed: 503,
  /** the disk holding the data dir is full (or the model would not fit): nothing was written */
  storage_full: 507,
  internal: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS[code];
}

export interface ErrorDetails {
  /** The request field the error is about, e.g. "replicas". */
  field?: string;
  /** Seconds after which a retry may succeed (becomes the Retry-After header). */
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

export class InferscaleError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'InferscaleError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return httpStatusFor(this.code);
  }
}

export const invalid = (field: string, message: string): InferscaleError => new InferscaleError('invalid_argument', `${field}: ${message}`, { field });

export const notFound = (what: string, name: string): InferscaleError => new InferscaleError('not_found', `${what} "${name}" not found`, { name });

/** The REST API's error answer: its JSON body and headers (Retry-After when the error has one). */
export function restError(err: InferscaleError): { status: number; headers: Record<string, string>; body: object } {
  const headers: Record<string, string> = {};
  if (err.details.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(err.details.retryAfterSeconds));
  return { status: err.status, headers, body: { error: { code: err.code, message: err.message, field: err.details.field ?? null, details: err.details } } };
}

/** Turns anything thrown into an InferscaleError (unknown errors become `internal`). */
export function toInferscaleError(err: unknown): InferscaleError {
  if (err instanceof InferscaleError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    return new InferscaleError('storage_full', "the server's disk is full: nothing was changed; free space and try again", { retryAfterSeconds: 30 });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new InferscaleError('internal', message);
}
