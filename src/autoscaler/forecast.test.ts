import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS, forecastConcurrency, forecastPeak, valueAt } from './forecast.js';
import { tzOffsetMs } from './timezone.js';
import type { DemandPoint } from './types.js';

const BUCKET = 5 * 60_000;
// 2026-03-02 is a Monday
const MONDAY = Date.parse('2026-03-02T00:00:00Z');

/** Demand points every 5 minutes over [from, to), from f(t). */
function history(from: number, to: number, f: (t: number) => number): DemandPoint[] {
  const out: DemandPoint[] = [];
  for (let t = from; t < to; t += BUCKET) out.push({ at: t, concurrency: f(t), rate: f(t) / 2 });
  return out;
}

/** 10 +- 8 over the day, peak at 06:00 UTC */
const sine = (t: number) => 10 + 8 * Math.sin((2 * Math.PI * (t % DAY_MS)) / DAY_MS);

function close(actual: number | undefined, expected: number, share: number, msg?: string): void {
  assert.ok(actual !== undefined, msg ?? 'no forecast');
  assert.ok(Math.abs(actual - expected) <= share * expected, `${msg ?? ''} got ${actual}, expected ${expected} +- ${share * 100}%`);
}

describe('forecastConcurrency', () => {
  it('needs about a day of history', () => {
    assert.equal(forecastConcurrency([], MONDAY), undefined);
    const short = history(MONDAY, MONDAY + 12 * 3_600_000, sine);
    assert.equal(forecastConcurrency(short, MONDAY + 13 * 3_600_000), undefined);
  });
  it('follows a daily sine one step and a few hours ahead', () => {
    const end = MONDAY + 8 * DAY_MS;
    const h = history(MONDAY, end, sine);
    for (const ahead of [0, 10 * 60_000, 3 * 3_600_000, 6 * 3_600_000]) {
      close(forecastConcurrency(h, end + ahead), sine(end + ahead), 0.05, `${ahead / 60_000} min ahead`);
    }
  });
  it('scales by the recent level when demand grew', () => {
    const end = MONDAY + 8 * DAY_MS;
    // the last 2 hours ran at 1.5x the usual pattern
    const h = history(MONDAY, end, (t) => (t >= end - 2 * 3_600_000 ? 1.5 : 1) * sine(t));
    const at = end + 10 * 60_000;
    close(forecastConcurrency(h, at), 1.5 * sine(at), 0.1);
    // the level term is clamped: a 10x jump forecasts at most 2x
    const jump = history(MONDAY, end, (t) => (t >= end - 3_600_000 ? 10 : 1) * sine(t));
    assert.ok(forecastConcurrency(jump, at)! <= 2 * sine(at) + 1e-9);
  });
  it('learns the week: a Monday morning follows last Monday, not Sunday', () => {
    const weekly = (t: number) => {
      const day = new Date(t).getUTCDay();
      const weekend = day === 0 || day === 6;
      const hour = (t % DAY_MS) / 3_600_000;
      const office = hour >= 8 && hour < 18 ? 20 : 2;
      return weekend ? 2 : office;
    };
    const end = MONDAY + 14 * DAY_MS + 7 * 3_600_000; // Monday 07:00, two weeks later
    const h = history(MONDAY, end, weekly);
    close(forecastConcurrency(h, end + 2 * 3_600_000), 20, 0.2, 'Monday 09:00');
    // Sunday 09:00 after a full week stays low
    const sun = MONDAY + 13 * DAY_MS + 9 * 3_600_000;
    const hs = history(MONDAY, sun - 3_600_000, weekly);
    close(forecastConcurrency(hs, sun), 2, 0.2, 'Sunday 09:00');
  });
  it('keeps local wall-clock seasonality across a daylight-saving change', () => {
    // a peak at 09:00-10:00 Zurich time, every day; DST starts 2026-03-29 (UTC+1 -> UTC+2)
    const tz = 'Europe/Zurich';
    const local = (t: number) => {
      const hour = ((((t + tzOffsetMs(t, tz)) % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000;
      return hour >= 9 && hour < 10 ? 30 : 3;
    };
    const from = Date.parse('2026-03-21T00:00:00Z');
    const end = Date.parse('2026-03-30T06:00:00Z');
    const h = history(from, end, local);
    const nineLocal = Date.parse('2026-03-30T07:30:00Z'); // 09:30 in Zurich, summer time
    close(forecastConcurrency(h, nineLocal, { timeZone: tz }), 30, 0.1, 'with the time zone');
    const utcGuess = forecastConcurrency(h, nineLocal);
    assert.ok(utcGuess !== undefined && utcGuess < 30 * 0.9, `a UTC forecast misses the shifted peak (${utcGuess})`);
  });
});

describe('forecastPeak', () => {
  it('finds the highest bucket in the look-ahead', () => {
    const end = MONDAY + 8 * DAY_MS + 5 * 3_600_000; // 05:00, rising to the 06:00 peak
    const h = history(MONDAY, end, sine);
    const peak = forecastPeak(h, end, end + 70 * 60_000);
    assert.ok(peak);
    close(peak.concurrency, 18, 0.05);
    assert.equal((peak.at - end) / 60_000, 60);
    assert.equal(forecastPeak(h.slice(0, 100), end, end + 1000), undefined);
  });
  it('valueAt finds the bucket containing t', () => {
    const h = history(0, 3 * BUCKET, (t) => t / BUCKET);
    assert.equal(valueAt(h, BUCKET + 1, BUCKET), 1);
    assert.equal(valueAt(h, 3 * BUCKET, BUCKET), undefined);
  });
});
