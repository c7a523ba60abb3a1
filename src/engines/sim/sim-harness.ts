/**
 * Test support for the engine simulator: start a sim server on a free port, wait on conditions, and
 * read SSE bodies. Used by the sim's own tests and usable by integration tests elsewhere.
 */
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../core/clock.js';
import { DEFAULT_SIM_PARAMS, type SimEngineParams } from './params.js';
import { createSimServer, type SimServer } from './sim-server.js';

export interface RunningSim extends SimServer {
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

/** Starts a sim on 127.0.0.1 with a free port. Jitter defaults to 0 and rand to 0.5, for exact timing. */
export async function startSim(opts: {
  clock: Clock;
  params?: Partial<SimEngineParams>;
  modelName?: string;
  rand?: () => number;
  log?: (line: string) => void;
}): Promise<RunningSim> {
  const params: SimEngineParams = { ...DEFAULT_SIM_PARAMS, jitter: 0, ...opts.params };
  const sim = createSimServer({
    params,
    modelName: opts.modelName ?? 'sim-test',
    clock: opts.clock,
    rand: opts.rand ?? (() => 0.5),
    log: opts.log,
  });
  await new Promise<void>((resolve) => sim.server.listen(0, '127.0.0.1', resolve));
  const port = (sim.server.address() as AddressInfo).port;
  return {
    ...sim,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        sim.server.closeAllConnections();
        sim.server.close(() => resolve());
      }),
  };
}

/** Polls `cond` (every few ms of real time) until it is true; fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Splits an SSE body into its `data:` payloads (without the prefix), in order. */
export function sseEvents(body: string): string[] {
  return body
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}

export function postJson(baseUrl: string, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}
