/**
 * What inferscale reads from an engine's Prometheus `/metrics`: one internal set of signals whatever the
 * engine. vLLM (and the engine simulator, and the llama.cpp engine, which use vLLM's names):
 * `vllm:num_requests_running`, `vllm:num_requests_waiting`, `vllm:kv_cache_usage_perc` (before vLLM 0.10:
 * `vllm:gpu_cache_usage_perc`). SGLang: `sglang:num_running_reqs`, `sglang:num_queue_reqs`,
 * `sglang:token_usage`. Several series of one name (data-parallel ranks, several engines) add up for the
 * counts; the KV-cache use is the highest of them (the fullest rank is the one that queues).
 */
export interface EngineSignals {
  /** requests the engine is running (in its batch) */
  running: number;
  /** requests waiting in the engine's own queue */
  waiting: number;
  /** KV-cache use, 0..1; absent when the engine does not say */
  kvCacheUsage?: number;
}

type Field = keyof EngineSignals;

const NAMES: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['vllm:num_requests_running', 'running'],
  ['vllm:num_requests_waiting', 'waiting'],
  ['vllm:kv_cache_usage_perc', 'kvCacheUsage'],
  ['vllm:gpu_cache_usage_perc', 'kvCacheUsage'],
  ['sglang:num_running_reqs', 'running'],
  ['sglang:num_queue_reqs', 'waiting'],
  ['sglang:token_usage', 'kvCacheUsage'],
]);

/**
 * Parses the few gauges above out of a Prometheus text exposition (format 0.0.4; OpenMetrics' extra
 * lines are comments here). Returns undefined when neither a running nor a waiting count is found (not
 * an engine we can read). Label values may hold spaces and braces: the value is what follows the
 * closing brace of the label set.
 */
export function parseEngineMetrics(text: string): EngineSignals | undefined {
  let running: number | undefined;
  let waiting: number | undefined;
  let kv: number | undefined;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (!line.startsWith('vllm:') && !line.startsWith('sglang:')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
    if (nameEnd < 0) continue;
    const field = NAMES.get(line.slice(0, nameEnd));
    if (!field) continue;
    const afterLabels = brace === nameEnd ? labelsEnd(line, brace) : nameEnd;
    if (afterLabels < 0) continue;
    const v = Number(line.slice(afterLabels).trim().split(/\s+/)[0]);
    if (!Number.isFinite(v) || v < 0) continue;
    if (field === 'running') running = (running ?? 0) + v;
    else if (field === 'waiting') waiting = (waiting ?? 0) + v;
    else kv = Math.max(kv ?? 0, Math.min(1, v));
  }
  if (running === undefined && waiting === undefined) return undefined;
  const s: EngineSignals = { running: running ?? 0, waiting: waiting ?? 0 };
  if (kv !== undefined) s.kvCacheUsage = kv;
  return s;
}

/** The index past the `}` closing the label set opened at `open`, skipping quoted values; -1 if none. */
function labelsEnd(line: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '}') return i + 1;
  }
  return -1;
}
