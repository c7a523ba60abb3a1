/**
 * The simulator's counters and their Prometheus text exposition (format 0.0.4), with vLLM's metric
 * names so scrapers written for vLLM work unchanged. Hand-written: a handful of lines, no registry.
 */
import type { FinishReason } from './openai-responses.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class SimCounters {
  promptTokens = 0;
  generationTokens = 0;
  success: Record<FinishReason, number> = { stop: 0, length: 0 };
  /** Generations cut short because the client went away. */
  aborted = 0;
  /** Requests turned away with 503 because the waiting queue was full. */
  rejected = 0;
}

export interface MetricsSnapshot {
  modelName: string;
  running: number;
  waiting: number;
  maxNumSeqs: number;
  counters: SimCounters;
}

/** Escapes a label value: backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function fmt(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

export function renderMetrics(s: MetricsSnapshot): string {
  const model = `model_name="${escapeLabelValue(s.modelName)}"`;
  const c = s.counters;
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}{${labels}} ${fmt(v)}`);
  };
  metric('vllm:num_requests_running', 'gauge', 'Number of requests currently running on GPU.', [[model, s.running]]);
  metric('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', [[model, s.waiting]]);
  // vLLM's current name, and the name before vLLM 0.10 (older dashboards): the same value
  metric('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage (sim: running / max_num_seqs).', [
    [model, s.maxNumSeqs > 0 ? s.running / s.maxNumSeqs : 0],
  ]);
  metric('vllm:gpu_cache_usage_perc', 'gauge', 'GPU KV-cache usage. 1 means 100 percent usage (sim: running / max_num_seqs).', [
    [model, s.maxNumSeqs > 0 ? s.running / s.maxNumSeqs : 0],
  ]);
  metric('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', [[model, c.promptTokens]]);
  metric('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.', [[model, c.generationTokens]]);
  metric('vllm:request_success_total', 'counter', 'Count of successfully processed requests.', [
    [`finished_reason="length",${model}`, c.success.length],
    [`finished_reason="stop",${model}`, c.success.stop],
  ]);
  metric('inferscale_sim_aborted_total', 'counter', 'Generations aborted because the client disconnected.', [[model, c.aborted]]);
  metric('inferscale_sim_rejected_total', 'counter', 'Requests rejected with 503 because the waiting queue was full.', [[model, c.rejected]]);
  return `${lines.join('\n')}\n`;
}
