import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferscaleError } from '../core/errors.js';
import { autoscaleSpecFromFlags, parseAutoscaleFlagString, specFromFlags, specFromFlagString } from './flags.js';
import { buildAutoscaleSpec } from './spec.js';

function failsOn(fn: () => unknown, field: string, text?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InferscaleError, String(err));
    assert.equal(err.details.field, field, err.message);
    if (text) assert.match(err.message, text);
    return true;
  });
}

describe('autoscale flags', () => {
  it('splits a flag string with quotes, = and repeated --schedule', () => {
    const flags = parseAutoscaleFlagString(`--min 0 --max=4 --schedule "weekdays 08:00-18:00 at least 3" --schedule '22:00-02:00 at least 1' --forecast`);
    assert.deepEqual(flags, {
      min: '0',
      max: '4',
      schedule: ['weekdays 08:00-18:00 at least 3', '22:00-02:00 at least 1'],
      forecast: true,
    });
  });
  it('rejects unknown, repeated and positional input', () => {
    failsOn(() => parseAutoscaleFlagString('--min 0 --maximum 3'), '--maximum', /unknown autoscale flag/);
    failsOn(() => parseAutoscaleFlagString('--min 0 --min 1'), '--min', /more than once/);
    failsOn(() => parseAutoscaleFlagString('min 0'), 'autoscale', /unexpected "min"/);
    failsOn(() => parseAutoscaleFlagString('--schedule "daily 08:00'), 'autoscale', /unclosed/);
  });
  it('turns commander-style flags into spec input', () => {
    const input = autoscaleSpecFromFlags({
      min: '0',
      max: '8',
      targetOngoingRequests: '4',
      ttftP95: '2s',
      queueLength: '3',
      upscaleDelay: '0s',
      downscaleDelay: '5m',
      scaleToZeroAfter: '10m',
      maxScaleUpRate: '4/min',
      schedule: ['daily 00:00-06:00 at least 1'],
      timeZone: 'Europe/Zurich',
      forecast: 'on',
      zone: 'at-vie-2',
      json: true,
    });
    const spec = buildAutoscaleSpec(input);
    assert.equal(spec.minReplicas, 0);
    assert.equal(spec.maxReplicas, 8);
    assert.equal(spec.ttftP95Ms, 2000);
    assert.equal(spec.targetQueueLength, 3);
    assert.equal(spec.scaleToZeroAfterMs, 600_000);
    assert.equal(spec.timeZone, 'Europe/Zurich');
    assert.equal(spec.forecast, true);
    assert.equal(spec.schedules[0].startMinute, 0);
  });
  it('accepts kebab-case keys and applies flags over a base spec', () => {
    const base = buildAutoscaleSpec({ minReplicas: 1, maxReplicas: 8, ttftP95Ms: '2s', schedules: ['daily 08:00-09:00 at least 2'] });
    const spec = specFromFlags({ '--max': '6', 'ttft-p95': 'off', schedule: 'none' }, base);
    assert.equal(spec.minReplicas, 1);
    assert.equal(spec.maxReplicas, 6);
    assert.equal(spec.ttftP95Ms, undefined);
    assert.deepEqual(spec.schedules, []);
  });
  it('reports errors by flag name for CLI users', () => {
    failsOn(() => specFromFlagString('--min 0 --max 0'), '--max', /at least 1/);
    failsOn(() => specFromFlagString('--min 3 --max 2'), '--min', /3 is above maxReplicas 2/);
    failsOn(() => specFromFlagString('--max abc'), '--max', /not a number/);
    failsOn(() => specFromFlagString('--downscale-delay 5'), '--downscale-delay', /not a duration/);
    failsOn(() => specFromFlagString('--max 2 --schedule "daily 08:00-18:00 at least 3"'), '--schedule[0]', /above maxReplicas 2/);
    failsOn(() => specFromFlagString('--forecast maybe'), '--forecast', /on or off/);
    failsOn(() => specFromFlagString('--min'), '--min', /needs a value/);
    failsOn(() => specFromFlags({ bogus: '1' }, undefined, { strict: true }), '--bogus');
  });
  it('the simulator form builds the same spec as the CLI form', () => {
    const text = '--min 0 --max 8 --target-ongoing-requests 4 --schedule "weekdays 08:00-18:00 at least 3" --time-zone Europe/Zurich';
    const viaText = specFromFlagString(text);
    const viaFlags = specFromFlags({
      min: '0',
      max: '8',
      targetOngoingRequests: '4',
      schedule: ['weekdays 08:00-18:00 at least 3'],
      timeZone: 'Europe/Zurich',
    });
    assert.deepEqual(viaText, viaFlags);
  });
  it('--policy names the policy; ours, the default, is not stored; skyserve needs its QPS target', () => {
    const kpa = specFromFlagString('--policy kpa --max 6');
    assert.equal(kpa.policy, 'kpa');
    assert.equal(specFromFlags({ policy: 'ours' }, kpa).policy, undefined, 'back to ours');
    assert.equal(specFromFlags({ max: '8' }, kpa).policy, 'kpa', 'other flags keep the policy in force');
    assert.equal(buildAutoscaleSpec({}).policy, undefined);
    failsOn(() => specFromFlagString('--policy static-peak'), '--policy', /unknown policy "static-peak" \(known: ours, kpa, ray, hpa, keda, skyserve\)/);
    failsOn(() => specFromFlagString('--policy skyserve'), '--target-qps-per-replica', /requests per second/);
    const sky = specFromFlagString('--policy skyserve --target-qps-per-replica 2.5');
    assert.deepEqual([sky.policy, sky.targetQpsPerReplica], ['skyserve', 2.5]);
    failsOn(() => specFromFlags({ targetQpsPerReplica: 'off' }, sky), '--target-qps-per-replica', /requests per second/);
  });
});

describe('--idle', () => {
  it('takes sleep or stop over the spec in force; another word names the flag', () => {
    const s = autoscaleSpecFromFlags({ min: '0', idle: 'sleep' });
    assert.equal(s.idle, 'sleep');
    assert.equal(specFromFlagString('--min 0 --idle SLEEP').idle, 'sleep');
    assert.throws(() => specFromFlagString('--idle nap'), /must be sleep or stop/);
  });
});
