import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEngineMetrics } from './engine-metrics.js';
import { renderMetrics, SimCounters } from './sim/metrics.js';

test('vLLM names (and the older gpu_cache name) map to running, waiting, kvCacheUsage', () => {
  const text = [
    '# HELP vllm:num_requests_running Number of requests in model execution batches.',
    '# TYPE vllm:num_requests_running gauge',
    'vllm:num_requests_running{engine="0",model_name="org/m"} 3.0',
    'vllm:num_requests_waiting{engine="0",model_name="org/m"} 5.0',
    'vllm:kv_cache_usage_perc{engine="0",model_name="org/m"} 0.25',
    'vllm:num_requests_running_something_else 99',
  ].join('\n');
  assert.deepEqual(parseEngineMetrics(text), { running: 3, waiting: 5, kvCacheUsage: 0.25 });
  assert.deepEqual(parseEngineMetrics('vllm:num_requests_waiting 2\nvllm:gpu_cache_usage_perc{model_name="m"} 0.5\n'), {
    running: 0,
    waiting: 2,
    kvCacheUsage: 0.5,
  });
});

test('SGLang names; several ranks add up, the fullest KV cache counts; odd label values parse', () => {
  const text = [
    'sglang:num_running_reqs{model_name="a b}",tp_rank="0"} 2.0',
    'sglang:num_running_reqs{model_name="a b}",tp_rank="1"} 1.0',
    'sglang:num_queue_reqs{model_name="a \\"q\\"",tp_rank="0"} 4',
    'sglang:token_usage{tp_rank="0"} 0.1',
    'sglang:token_usage{tp_rank="1"} 0.7 1733540000000',
  ].join('\n');
  assert.deepEqual(parseEngineMetrics(text), { running: 3, waiting: 4, kvCacheUsage: 0.7 });
});

test('not an engine, or unreadable values: undefined or skipped', () => {
  assert.equal(parseEngineMetrics('# nothing\nprocess_cpu_seconds_total 1\n'), undefined);
  assert.deepEqual(parseEngineMetrics('vllm:num_requests_running NaN\nvllm:num_requests_waiting 1\n'), { running: 0, waiting: 1 });
});

test('the engine simulator exposes vLLM names with the same meaning', () => {
  const text = renderMetrics({ modelName: 'm', running: 2, waiting: 3, maxNumSeqs: 8, counters: new SimCounters() });
  assert.deepEqual(parseEngineMetrics(text), { running: 2, waiting: 3, kvCacheUsage: 0.25 });
});
