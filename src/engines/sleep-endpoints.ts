/**
 * vLLM's sleep-mode endpoints, served the same way by every engine of ours that can sleep (the engine
 * simulator, llama.cpp): POST /sleep?level=1|2, POST /wake_up, GET /is_sleeping. The engine keeps its own
 * sleep (what leaves memory, how a wake happens); this is only the HTTP side.
 */
import type http from 'node:http';
import { sendJson } from './sim/http-io.js';
import { OpenAIError } from './sim/openai-requests.js';

export type SleepPhase = 'awake' | 'asleep' | 'waking';

export interface SleepingEngine {
  phase(): SleepPhase;
  /** goes to sleep; resolves to the host RAM its weights hold while asleep, bytes */
  sleep(level: number): Promise<number>;
  /** resolves once awake */
  wake(): Promise<void>;
}

/** Throws the 400 of a sleep level vLLM does not have. */
export function checkSleepLevel(level: number): void {
  if (level !== 1 && level !== 2) throw new OpenAIError(400, `level must be 1 or 2 (got ${level})`, 'invalid_request_error', 'invalid_level', 'level');
}

/** Serves /sleep, /wake_up and /is_sleeping for `engine`; false: the path is not one of them. */
export async function routeSleep(engine: SleepingEngine, method: string, path: string, query: URLSearchParams, res: http.ServerResponse): Promise<boolean> {
  const want = (m: string) => {
    if (method !== m) throw new OpenAIError(405, `${method} not allowed on ${path}`, 'invalid_request_error', 'method_not_allowed');
  };
  switch (path) {
    case '/sleep': {
      want('POST');
      const hostRamBytes = await engine.sleep(Number(query.get('level') ?? '1'));
      sendJson(res, 200, JSON.stringify({ is_sleeping: true, host_ram_bytes: hostRamBytes }));
      return true;
    }
    case '/wake_up':
      want('POST');
      await engine.wake();
      sendJson(res, 200, JSON.stringify({ is_sleeping: false }));
      return true;
    case '/is_sleeping':
      want('GET');
      sendJson(res, 200, JSON.stringify({ is_sleeping: engine.phase() !== 'awake', phase: engine.phase() }));
      return true;
    default:
      return false;
  }
}
