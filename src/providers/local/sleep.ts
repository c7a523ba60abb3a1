/**
 * Sleep and wake of a local replica: the engine's own endpoints (src/engines/sleep-mode.ts) on its port. A
 * refusal or an engine without sleep mode is an InferscaleError, so the reconciler stops the replica instead.
 */
import { InferscaleError } from '../../core/errors.js';
import { sleepEndpoints } from '../../engines/sleep-mode.js';
import type { EngineDriver } from '../../engines/types.js';
import type { ReplicaHandle, SleepResult } from '../types.js';

/** the longest a sleep (weights copied to host RAM) or a wake may take before it counts as failed */
export const SLEEP_TIMEOUT_MS = 120_000;

async function call(h: ReplicaHandle, driver: EngineDriver, what: 'sleep' | 'wake', apiKey?: string): Promise<unknown> {
  const ep = sleepEndpoints(driver.name);
  if (!ep) throw new InferscaleError('unsupported', `the ${driver.name} engine has no sleep mode: its idle replicas stop`);
  const path = what === 'sleep' ? ep.sleep : ep.wake;
  let res: Response;
  try {
    res = await fetch(h.url + path, {
      method: 'POST',
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(SLEEP_TIMEOUT_MS),
    });
  } catch (e) {
    throw new InferscaleError('upstream_error', `replica ${h.replicaId}: ${what} failed: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new InferscaleError('upstream_error', `replica ${h.replicaId}: ${what} refused by the engine (${res.status}): ${text.slice(0, 200)}`);
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

export async function sleepReplica(h: ReplicaHandle, driver: EngineDriver, apiKey?: string): Promise<SleepResult> {
  const body = (await call(h, driver, 'sleep', apiKey)) as { host_ram_bytes?: unknown };
  return typeof body.host_ram_bytes === 'number' && body.host_ram_bytes >= 0 ? { hostRamBytes: body.host_ram_bytes, hostRamFrom: 'engine' } : {};
}

export async function wakeReplica(h: ReplicaHandle, driver: EngineDriver, apiKey?: string): Promise<void> {
  await call(h, driver, 'wake', apiKey);
}
