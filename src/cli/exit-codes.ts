/**
 * The CLI's exit codes, one per kind of failure a script may want to tell apart (documented in docs/cli.md),
 * mapped in this one place from the API's stable error codes (src/core/errors.ts), the client's own failures
 * (src/cli/client.ts: `unreachable`, `timeout`) and commander's usage errors.
 */
import { CommanderError } from 'commander';
import type { ErrorCode } from '../core/errors.js';
import { InferscaleError } from '../core/errors.js';
import { ApiError } from './client.js';

export const EXIT = {
  ok: 0,
  /** anything not below: a server-side failure, a deployment or model that failed, a server that is busy */
  error: 1,
  /** the command line is wrong: unknown command or option, a missing or invalid argument or value */
  usage: 2,
  notFound: 3,
  /** the token is missing, wrong or not allowed to do this */
  auth: 4,
  /** no inferscale server answers at the URL */
  unreachable: 5,
  /** gave up waiting (--wait-timeout), or the server or an engine timed out */
  timeout: 6,
  /** the change conflicts with the current state: exists already, in use, over quota, autoscaled, no capacity */
  conflict: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Record<ErrorCode, ExitCode> = {
  invalid_argument: EXIT.usage,
  immutable_field: EXIT.usage,
  unsupported: EXIT.usage,
  bad_request: EXIT.usage,
  not_found: EXIT.notFound,
  deployment_deleted: EXIT.notFound,
  unauthorized: EXIT.auth,
  forbidden: EXIT.auth,
  upstream_timeout: EXIT.timeout,
  request_timeout: EXIT.timeout,
  queue_timeout: EXIT.timeout,
  already_exists: EXIT.conflict,
  conflict: EXIT.conflict,
  quota_exceeded: EXIT.conflict,
  insufficient_capacity: EXIT.conflict,
  autoscaling_enabled: EXIT.conflict,
  model_in_use: EXIT.conflict,
  deployment_stopped: EXIT.error,
  deployment_starting: EXIT.error,
  no_ready_replica: EXIT.error,
  queue_full: EXIT.error,
  upstream_error: EXIT.error,
  server_busy: EXIT.error,
  payload_too_large: EXIT.error,
  no_leader: EXIT.error,
  cluster_write_failed: EXIT.error,
  headers_too_large: EXIT.error,
  method_not_allowed: EXIT.error,
  storage_full: EXIT.error,
  internal: EXIT.error,
};

/** The client's own codes (not the server's). */
const CLIENT: Record<string, ExitCode> = { unreachable: EXIT.unreachable, timeout: EXIT.timeout };

/** The exit code for anything a command threw. */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage; // --help, --version: 0
  if (err instanceof ApiError || err instanceof InferscaleError) {
    return CLIENT[err.code] ?? BY_CODE[err.code as ErrorCode] ?? (err instanceof ApiError && err.status === 404 ? EXIT.notFound : EXIT.error);
  }
  return EXIT.error;
}
