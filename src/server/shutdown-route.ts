/**
 * `POST /api/v1/server/shutdown {"replicas": "stop" | "keep"}` (admin): the server stops, and with "stop"
 * drains and stops its replicas first (`inferscale down` with the server running). Answered 202 before
 * the server goes; the caller waits for the data dir's lock to be released. Only a server run by
 * `inferscale server` on one machine can be asked (`request` given): one embedded in another program, or
 * one of several HA replicas, answers `unsupported`.
 */
import type { Hono } from 'hono';
import { InferscaleError } from '../core/errors.js';
import { parseInput } from '../domain/validation.js';
import { jsonBody } from '../api/app.js';

import { bodySchema, type OnExit } from './shutdown-body.js';

export { bodySchema, type OnExit };

/** `localReplicas`: how many replica processes the server runs on this machine (answered, for `down` to report) */
export function mountShutdownRoute(app: Hono, request: ((replicas: OnExit) => void) | undefined, localReplicas: () => number): void {
  app.post('/server/shutdown', async (c) => {
    if (!request)
      throw new InferscaleError('unsupported', 'this server cannot be stopped through the API (it is one of several HA replicas, or embedded in a program)');
    const { replicas } = parseInput(bodySchema, (await jsonBody(c)) ?? {});
    // answered first: the server closes its listener as it stops
    setImmediate(() => request(replicas));
    return c.json({ stopping: true, replicas, localReplicas: localReplicas() }, 202);
  });
}
