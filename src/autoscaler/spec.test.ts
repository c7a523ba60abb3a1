import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferscaleError } from '../core/errors.js';
import { buildAutoscaleSpec, checkAutoscaleSpec, DEFAULT_AUTOSCALE, describeSpec, parseDuration, parseRate } from './spec.js';
import { formatDuration, formatRate } from './units.js';

function fails(fn: () => unknown, field: string, text?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InferscaleError, String(err));
    assert.equal(err.code, 'invalid_argument');
    assert.equal(err.details.field, field, err.message);
    if (text) assert.match(err.message, text);
    return true;
  });
}

describe('durations and rates', () => {
  it('parses the forms people type', () => {
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration(' 0s '), 0);
  });
  it('rejects ambiguous or broken durations, naming the field', () => {
    fails(() => parseDuration('5', 'downscaleDelayMs'), 'downscaleDelayMs', /not a duration/);
    fails(() => parseDuration('5 minutes'), 'duration');
    fails(() => parseDuration(''), 'duration');
    fails(() => parseDuration('-1s'), 'duration');
  });
  it('parses rates to per-minute', () => {
    assert.equal(parseRate('4/min'), 4);
    assert.equal(parseRate('1/s'), 60);
    assert.equal(parseRate('30/h'), 0.5);
    assert.equal(parseRate('6'), 6);
    fails(() => parseRate('fast', 'maxScaleUpPerMinute'), 'maxScaleUpPerMinute');
  });
  it('formats back', () => {
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatRate(4), '4/min');
    assert.equal(formatRate(60), '1/s');
  });
});

describe('buildAutoscaleSpec', () => {
  it('fills the defaults', () => {
    const spec = buildAutoscaleSpec({});
    assert.deepEqual(spec, { ...DEFAULT_AUTOSCALE, schedules: [] });
  });
  it('accepts durations as text or ms and rates as text or numbers', () => {
    const spec = buildAutoscaleSpec({
      minReplicas: 0,
      maxReplicas: 8,
      targetOngoingRequests: 4,
      ttftP95Ms: '2s',
      upscaleDelayMs: 0,
      downscaleDelayMs: '10m',
      scaleToZeroAfterMs: '15m',
      maxScaleUpPerMinute: '1/s',
      timeZone: 'Europe/Zurich',
      schedules: ['weekdays 08:00-18:00 at least 3'],
      forecast: true,
      targetQueueLength: 2,
    });
    assert.equal(spec.ttftP95Ms, 2000);
    assert.equal(spec.downscaleDelayMs, 600_000);
    assert.equal(spec.scaleToZeroAfterMs, 900_000);
    assert.equal(spec.maxScaleUpPerMinute, 60);
    assert.equal(spec.schedules[0].minReplicas, 3);
    assert.equal(spec.targetQueueLength, 2);
  });
  it('raises the default max to the min when only min is given', () => {
    assert.equal(buildAutoscaleSpec({ minReplicas: 6 }).maxReplicas, 6);
  });
  it('names the field and the limit', () => {
    fails(() => buildAutoscaleSpec({ minReplicas: -1 }), 'minReplicas', /at least 0/);
    fails(() => buildAutoscaleSpec({ minReplicas: 1001 }), 'minReplicas', /at most 1000/);
    fails(() => buildAutoscaleSpec({ maxReplicas: 0 }), 'maxReplicas', /at least 1/);
    fails(() => buildAutoscaleSpec({ maxReplicas: 2.5 }), 'maxReplicas', /whole number/);
    fails(() => buildAutoscaleSpec({ minReplicas: 5, maxReplicas: 4 }), 'minReplicas', /5 is above maxReplicas 4/);
    fails(() => buildAutoscaleSpec({ targetOngoingRequests: 0 }), 'targetOngoingRequests', /greater than 0/);
    fails(() => buildAutoscaleSpec({ ttftP95Ms: 0 }), 'ttftP95Ms', /greater than 0/);
    fails(() => buildAutoscaleSpec({ downscaleDelayMs: '48h' }), 'downscaleDelayMs', /between 0s and 24h/);
    fails(() => buildAutoscaleSpec({ maxScaleUpPerMinute: 0 }), 'maxScaleUpPerMinute', /between/);
    fails(() => buildAutoscaleSpec({ timeZone: 'Mars/Olympus' }), 'timeZone', /IANA/);
    fails(() => buildAutoscaleSpec({ forecast: 'yes' }), 'forecast', /true or false/);
    fails(() => buildAutoscaleSpec({ replicas: 3 }), 'replicas', /unknown field/);
  });
  it('checks schedules against the whole spec', () => {
    fails(
      () => buildAutoscaleSpec({ maxReplicas: 4, schedules: ['daily 00:00-24:00 at least 1', 'weekdays 08:00-18:00 at least 5'] }),
      'schedules[1]',
      /at least 5, above maxReplicas 4/,
    );
    fails(() => buildAutoscaleSpec({ schedules: ['weekdays at 8'] }), 'schedules[0]', /not a schedule rule/);
    // overlapping rules with different floors are fine (the larger wins); a floor below min is allowed
    const spec = buildAutoscaleSpec({
      minReplicas: 2,
      maxReplicas: 8,
      schedules: ['weekdays 08:00-18:00 at least 3', 'daily 09:00-12:00 at least 6', 'daily 00:00-06:00 at least 1'],
    });
    assert.equal(spec.schedules.length, 3);
  });
  it('merges over a base spec; null clears inherited optional targets', () => {
    const base = buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 8, ttftP95Ms: '2s', targetQueueLength: 3 });
    const next = buildAutoscaleSpec({ maxReplicas: 6, ttftP95Ms: null }, base);
    assert.equal(next.minReplicas, 0);
    assert.equal(next.maxReplicas, 6);
    assert.equal(next.ttftP95Ms, undefined);
    assert.equal(next.targetQueueLength, 3);
    fails(() => buildAutoscaleSpec({ minReplicas: 9 }, base), 'minReplicas', /above maxReplicas 8/);
  });
  it('checkAutoscaleSpec returns the error instead of throwing', () => {
    const r = checkAutoscaleSpec({ maxReplicas: -2 });
    assert.ok(r instanceof InferscaleError);
  });
  it('describes a spec for display', () => {
    const lines = describeSpec(
      buildAutoscaleSpec({ minReplicas: 0, maxReplicas: 8, ttftP95Ms: '2s', schedules: ['mon-fri 08:00-18:00 at least 3'], timeZone: 'Europe/Zurich' }),
    );
    assert.deepEqual(lines, [
      'policy ours',
      'replicas 0 to 8',
      'target 4 ongoing requests per replica',
      'time to first token p95 at most 2s',
      'scale up after 0s (and only for demand that lasts 5% of a cold start, or surges), at most 128/min added; scale down to what 80% of the last 10m asked for',
      "scale to zero when the deployment's idle gaps say the next request is far off, or after 5m without any request",
      'schedule: weekdays 08:00-18:00 at least 3 (Europe/Zurich)',
      'forecast pre-warming on',
    ]);
  });
});

describe('idle: sleep or stop', () => {
  it('defaults to stop and is not stored; sleep is stored, kept by later changes, said by describeSpec; anything else is refused', () => {
    assert.equal(buildAutoscaleSpec({}).idle, undefined);
    const s = buildAutoscaleSpec({ minReplicas: 0, idle: 'sleep' });
    assert.equal(s.idle, 'sleep');
    assert.equal(buildAutoscaleSpec({ maxReplicas: 6 }, s).idle, 'sleep', 'a later change keeps it');
    assert.equal(buildAutoscaleSpec({ idle: 'stop' }, s).idle, undefined);
    assert.ok(describeSpec(s).some((l) => /taken down sleep/.test(l)));
    assert.equal(
      describeSpec(buildAutoscaleSpec({})).some((l) => /taken down/.test(l)),
      false,
      'stop, the default, is not said',
    );
    fails(() => buildAutoscaleSpec({ idle: 'nap' }), 'idle', /must be sleep or stop/);
  });
});
