import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InferscaleError } from '../../core/errors.js';
import { DEFAULT_SIM_PARAMS, parseSimEngineParams, SIM_PARAM_HELP } from './params.js';

const fails = (text: string | string[], pattern: RegExp) =>
  assert.throws(
    () => parseSimEngineParams(text),
    (err: unknown) => err instanceof InferscaleError && err.code === 'invalid_argument' && err.details.field === 'engineParams' && pattern.test(err.message),
  );

test('empty text gives the defaults', () => {
  assert.deepEqual(parseSimEngineParams(''), DEFAULT_SIM_PARAMS);
  assert.deepEqual(parseSimEngineParams([]), DEFAULT_SIM_PARAMS);
  assert.deepEqual(DEFAULT_SIM_PARAMS, {
    startupSeconds: 3,
    ttftMs: 40,
    prefillMsPerToken: 0.05,
    itlMs: 10,
    maxNumSeqs: 8,
    maxWaiting: 100,
    slowdownPerSeq: 0.03,
    jitter: 0.1,
    defaultMaxTokens: 16,
    wakeSeconds: 1,
    sleepRamGib: 0,
    modelMemoryGib: 0,
  });
});

test('parses every flag, space and = forms, string and argv', () => {
  const text =
    '--startup-seconds 0.2 --ttft-ms 50 --prefill-ms-per-token=0.1 --itl-ms 8 --max-num-seqs 4 ' +
    '--max-waiting 50 --slowdown-per-seq 0.05 --jitter 0 --default-max-tokens=32 --wake-seconds 2.5 --sleep-ram-gib=16 --model-memory-gib 16';
  const want = {
    startupSeconds: 0.2,
    ttftMs: 50,
    prefillMsPerToken: 0.1,
    itlMs: 8,
    maxNumSeqs: 4,
    maxWaiting: 50,
    slowdownPerSeq: 0.05,
    jitter: 0,
    defaultMaxTokens: 32,
    wakeSeconds: 2.5,
    sleepRamGib: 16,
    modelMemoryGib: 16,
  };
  assert.deepEqual(parseSimEngineParams(text), want);
  assert.deepEqual(parseSimEngineParams(text.split(' ')), want);
  assert.equal(parseSimEngineParams('  --startup-seconds   0  ').startupSeconds, 0);
  assert.equal(parseSimEngineParams('--itl-ms 1 --itl-ms 2').itlMs, 2, 'later flag wins');
});

test('unknown flags and stray words are rejected', () => {
  fails('--itl 5', /unknown flag --itl/);
  fails('--itl-ms 5 extra', /unexpected argument "extra"/);
});

test('missing and non-numeric values are rejected naming the flag', () => {
  fails('--itl-ms', /--itl-ms needs a value, between 0 and 10000/);
  fails('--itl-ms --jitter 0', /--itl-ms needs a value/);
  fails('--itl-ms fast', /--itl-ms must be between 0 and 10000, got "fast"/);
  fails('--itl-ms=', /--itl-ms needs a value/);
  fails('--ttft-ms 0x10', /not a number/);
});

test('out-of-range values are rejected with the limits', () => {
  fails('--itl-ms 99999', /engineParams: --itl-ms must be between 0 and 10000, got 99999/);
  fails('--startup-seconds -1', /--startup-seconds must be between 0 and 3600, got -1/);
  fails('--max-num-seqs 0', /--max-num-seqs must be an integer between 1 and 100000, got 0/);
  fails('--max-num-seqs 2.5', /an integer/);
  fails('--jitter 1.5', /--jitter must be between 0 and 1/);
});

test('help lists every flag with its default', () => {
  assert.equal(SIM_PARAM_HELP.length, Object.keys(DEFAULT_SIM_PARAMS).length);
  const itl = SIM_PARAM_HELP.find((h) => h.flag === '--itl-ms');
  assert.deepEqual(itl && { d: itl.default, min: itl.min, max: itl.max }, { d: 10, min: 0, max: 10000 });
});
