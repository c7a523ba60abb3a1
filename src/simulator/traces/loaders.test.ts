import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { parseAzureFunctionsCsv } from './azure-functions.js';
import { parseAzureLlmCsv, parseAzureTimestamp } from './azure-llm.js';
import { detectFormat, detectFormatFromText, loadTrace } from './load.js';
import { buildServeGenTrace, parseServeGenCsv } from './servegen.js';
import { splitByDeployment, traceFromRequestLog } from './trace.js';

const SHARED = new URL('../../../../shared/traces/', import.meta.url).pathname;

test('Azure LLM CSV: offsets from the first row, token counts as logged', () => {
  const t = parseAzureLlmCsv(
    'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9799600,4808,10\n2023-11-16 18:17:04.0319600,3180,8\n2023-11-16 18:17:05.5,110,27\n',
  );
  assert.equal(t.at.length, 3);
  assert.ok(Math.abs(t.at[1] - 52) < 1e-3);
  assert.ok(Math.abs(t.at[2] - 1520.04) < 1e-3);
  assert.deepEqual([...t.promptTokens], [4808, 3180, 110]);
  assert.deepEqual([...t.completionTokens], [10, 8, 27]);
  assert.equal(t.epochMs, Math.round(parseAzureTimestamp('2023-11-16 18:17:03.98')));
  assert.equal(new Date(t.epochMs).toISOString(), '2023-11-16T18:17:03.980Z');
});

test('Azure Functions CSV: one deployment per function, per-minute counts, seeded', () => {
  const csv = [
    'HashOwner,HashApp,HashFunction,Trigger,480,481,482',
    'o1,a1,fffff111,http,2,0,3',
    'o2,a2,aaaaa222,timer,0,10,0',
    'o3,a3,bbbbb333,queue,1,1,1',
  ].join('\n');
  const t = parseAzureFunctionsCsv(csv, { seed: 7 });
  assert.equal(t.at.length, 18);
  assert.deepEqual(t.deployments, ['fffff111', 'aaaaa222', 'bbbbb333']);
  for (let i = 1; i < t.at.length; i++) assert.ok(t.at[i] >= t.at[i - 1]);
  const parts = splitByDeployment(t);
  assert.deepEqual(
    parts.map((p) => p.at.length),
    [5, 10, 3],
  );
  assert.ok([...parts[1].at].every((x) => x >= 60_000 && x < 120_000));
  assert.equal(t.epochMs, 480 * 60_000);
  assert.equal(t.durationMs, 3 * 60_000);
  // same seed, same arrivals; a function's arrivals do not depend on which others are selected
  assert.deepEqual([...parseAzureFunctionsCsv(csv, { seed: 7 }).at], [...t.at]);
  assert.notDeepEqual([...parseAzureFunctionsCsv(csv, { seed: 8 }).at], [...t.at]);
  const top = parseAzureFunctionsCsv(csv, { seed: 7, top: 1 });
  assert.deepEqual(top.deployments, ['aaaaa222']);
  assert.deepEqual([...top.at], [...parts[1].at]);
  const one = parseAzureFunctionsCsv(csv, { seed: 7, function: 'bbbbb' });
  assert.equal(one.at.length, 3);
  assert.throws(() => parseAzureFunctionsCsv(csv, { function: 'zzz' }), /matches 0 functions/);
});

test('ServeGen windows: rate kept per window, seeded, compress keeps the rate and shortens the window', () => {
  const windows = parseServeGenCsv('0,0,0,,0,0\n600,2.0,1.1,Gamma,0.8,0.6\n1200,1.0,3.0,Weibull,0.4,0.1\n1800,0.5,1,,0,0\n');
  assert.equal(windows.length, 4);
  const t = buildServeGenTrace([{ name: 'chunk-x', windows }], { seed: 3 });
  const inWindow = (a: number, b: number) => [...t.at].filter((x) => x >= a * 1000 && x < b * 1000).length;
  assert.equal(inWindow(0, 600), 0);
  assert.ok(Math.abs(inWindow(600, 1200) - 1200) < 200, `gamma window: ${inWindow(600, 1200)}`);
  assert.ok(inWindow(1200, 1800) > 150 && inWindow(1200, 1800) < 1500, `weibull window: ${inWindow(1200, 1800)}`);
  assert.ok(Math.abs(inWindow(1800, 2400) - 300) < 90, `poisson window: ${inWindow(1800, 2400)}`);
  assert.deepEqual([...buildServeGenTrace([{ name: 'chunk-x', windows }], { seed: 3 }).at], [...t.at]);
  const c = buildServeGenTrace([{ name: 'chunk-x', windows }], { seed: 3, compress: 10, fromS: 600, durationS: 600 });
  assert.equal(c.durationMs, 60_000);
  assert.ok(Math.abs(c.at.length - 120) < 45, `compressed: ${c.at.length}`);
  assert.ok([...c.at].every((x) => x < 60_000));
});

test('format detection from content', () => {
  assert.equal(detectFormatFromText('TIMESTAMP,ContextTokens,GeneratedTokens\n'), 'azure-llm');
  assert.equal(detectFormatFromText('HashOwner,HashApp,HashFunction,Trigger,1\n'), 'azure-functions');
  assert.equal(detectFormatFromText('0,378.9,1.12,Gamma,0.79,0.0033\n'), 'servegen');
  assert.equal(detectFormatFromText('600,0,0,,0,0\n'), 'servegen');
  assert.throws(() => detectFormatFromText('hello,world\n'), /--format/);
});

test('request-log adapter: shifts to 0 and keeps the origin', () => {
  const t = traceFromRequestLog([
    { at: 1_700_000_002_000, promptTokens: 10, completionTokens: 5 },
    { at: 1_700_000_001_000, promptTokens: 20, completionTokens: 6 },
  ]);
  assert.deepEqual([...t.at], [0, 1000]);
  assert.deepEqual([...t.promptTokens], [20, 10]);
  assert.equal(t.epochMs, 1_700_000_001_000);
});

const haveShared = existsSync(SHARED);

test('shared Azure LLM code trace: 8,819 requests', { skip: !haveShared && 'no ../shared' }, () => {
  const path = `${SHARED}azure-llm-code-2023.csv`;
  assert.equal(detectFormat(path), 'azure-llm');
  const t = loadTrace(path);
  assert.equal(t.at.length, 8819);
  assert.ok(t.durationMs > 3_400_000 && t.durationMs < 3_450_000);
});

test('shared Azure Functions trace: 500 functions, 3,037,902 invocations', { skip: !haveShared && 'no ../shared' }, () => {
  const t = loadTrace(`${SHARED}azure-functions-500-invocations.csv`, { seed: 1 });
  assert.equal(t.deployments.length, 500);
  assert.equal(t.at.length, 3_037_902);
  assert.equal(t.durationMs, 480 * 60_000);
  const top = loadTrace(`${SHARED}azure-functions-500-invocations.csv`, { seed: 1, functions: 3, tailSample: 2 });
  assert.equal(top.deployments.length, 5);
});

test('shared ServeGen directory: chunk selection and time range', { skip: !haveShared && 'no ../shared' }, () => {
  const dir = `${SHARED}servegen-m-small`;
  assert.equal(detectFormat(dir), 'servegen');
  const t = loadTrace(dir, { chunks: [2, 7], startMs: 86_400_000, durationMs: 3_600_000, seed: 1 });
  assert.equal(t.deployments.length, 1);
  assert.equal(t.durationMs, 3_600_000);
  assert.ok(t.at.length > 1000 && t.at.length < 100_000, `${t.at.length}`);
  const per = loadTrace(dir, { chunks: [2, 7], startMs: 86_400_000, durationMs: 3_600_000, seed: 1, perChunk: true });
  assert.deepEqual(per.deployments, ['chunk-2', 'chunk-7']);
  assert.equal(per.at.length, t.at.length);
});
