import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferscaleError } from '../core/errors.js';
import { formatScheduleRule, parseDays, parseScheduleRule, scheduleFloor } from './schedule.js';
import { localTime, tzOffsetMs } from './timezone.js';

const utc = (iso: string) => Date.parse(iso);

function fails(text: string, re: RegExp): void {
  assert.throws(
    () => parseScheduleRule(text, 'schedules[0]'),
    (err: unknown) => {
      assert.ok(err instanceof InferscaleError);
      assert.equal(err.details.field, 'schedules[0]');
      assert.match(err.message, re);
      return true;
    },
  );
}

describe('schedule rules', () => {
  it('parses the documented forms', () => {
    const r = parseScheduleRule('weekdays 08:00-18:00 at least 3');
    assert.deepEqual(r, { days: [1, 2, 3, 4, 5], startMinute: 480, endMinute: 1080, minReplicas: 3, text: 'weekdays 08:00-18:00 at least 3' });
    assert.deepEqual(parseScheduleRule('daily 00:00-06:00 at least 1').days, [0, 1, 2, 3, 4, 5, 6]);
    const mwf = parseScheduleRule('mon,wed,fri 09:00-17:30 at least 2');
    assert.deepEqual([mwf.days, mwf.endMinute], [[1, 3, 5], 1050]);
    assert.deepEqual(parseScheduleRule('sat-sun 10:00-14:00 at least 1').days, [0, 6]);
    const night = parseScheduleRule('22:00-02:00 at least 1');
    assert.deepEqual([night.days.length, night.startMinute, night.endMinute], [7, 1320, 120]);
    assert.equal(parseScheduleRule('Daily 18:00-00:00 AT LEAST 2').endMinute, 1440);
    assert.equal(parseScheduleRule('daily 00:00-24:00 at least 1').endMinute, 1440);
  });
  it('parses day lists, ranges that wrap the week, and full names', () => {
    assert.deepEqual(parseDays('fri-mon'), [0, 1, 5, 6]);
    assert.deepEqual(parseDays('mon-wed,fri'), [1, 2, 3, 5]);
    assert.deepEqual(parseDays('tuesday,thursday'), [2, 4]);
    assert.deepEqual(parseScheduleRule('mon, wed 09:00-10:00 at least 1').days, [1, 3]);
  });
  it('names the problem', () => {
    fails('weekdays 8-18 at least 3', /not a schedule rule/);
    fails('funday 08:00-18:00 at least 3', /unknown day "funday"/);
    fails('daily 25:00-26:00 at least 1', /"25:00" is not a time of day/);
    fails('daily 08:60-09:00 at least 1', /"08:60"/);
    fails('daily 08:00-08:00 at least 1', /window is empty/);
    fails('daily 08:00-09:00 at least two', /whole number/);
    fails('daily 08:00-09:00 at least 1.5', /whole number/);
    fails('daily 24:00-02:00 at least 1', /"24:00"/);
  });
  it('formats canonically', () => {
    assert.equal(formatScheduleRule(parseScheduleRule('mon-fri 8:00-18:00 at least 3')), 'weekdays 08:00-18:00 at least 3');
    assert.equal(formatScheduleRule(parseScheduleRule('mon,wed 09:00-17:30 at least 2')), 'mon,wed 09:00-17:30 at least 2');
  });
});

describe('scheduleFloor', () => {
  const rules = [
    parseScheduleRule('weekdays 08:00-18:00 at least 3'),
    parseScheduleRule('daily 09:00-12:00 at least 5'),
    parseScheduleRule('22:00-02:00 at least 1'),
  ];
  it('takes the highest of overlapping rules, in UTC', () => {
    // 2026-03-04 is a Wednesday
    assert.equal(scheduleFloor(rules, utc('2026-03-04T07:59:00Z'), 'UTC').floor, 0);
    assert.equal(scheduleFloor(rules, utc('2026-03-04T08:00:00Z'), 'UTC').floor, 3);
    const f = scheduleFloor(rules, utc('2026-03-04T10:00:00Z'), 'UTC');
    assert.equal(f.floor, 5);
    assert.equal(f.rule?.text, 'daily 09:00-12:00 at least 5');
    assert.equal(scheduleFloor(rules, utc('2026-03-04T18:00:00Z'), 'UTC').floor, 0, 'end is exclusive');
    assert.equal(scheduleFloor(rules, utc('2026-03-07T10:00:00Z'), 'UTC').floor, 5, 'Saturday: only the daily rule');
    assert.equal(scheduleFloor(rules, utc('2026-03-07T15:00:00Z'), 'UTC').floor, 0);
    assert.equal(scheduleFloor([], utc('2026-03-07T15:00:00Z'), 'UTC').rule, undefined);
  });
  it('wraps past midnight into the next day, on the day the window starts', () => {
    const fri = [parseScheduleRule('fri 22:00-02:00 at least 2')];
    assert.equal(scheduleFloor(fri, utc('2026-03-06T23:30:00Z'), 'UTC').floor, 2); // Friday night
    assert.equal(scheduleFloor(fri, utc('2026-03-07T01:59:00Z'), 'UTC').floor, 2); // early Saturday
    assert.equal(scheduleFloor(fri, utc('2026-03-07T02:00:00Z'), 'UTC').floor, 0);
    assert.equal(scheduleFloor(fri, utc('2026-03-06T01:00:00Z'), 'UTC').floor, 0); // early Friday: Thursday's window
  });
  it('follows Europe/Zurich wall-clock time across daylight saving', () => {
    const work = [parseScheduleRule('weekdays 08:00-18:00 at least 3')];
    // winter: UTC+1, 08:00 local = 07:00Z
    assert.equal(scheduleFloor(work, utc('2026-01-14T06:59:00Z'), 'Europe/Zurich').floor, 0);
    assert.equal(scheduleFloor(work, utc('2026-01-14T07:00:00Z'), 'Europe/Zurich').floor, 3);
    // summer: UTC+2, 08:00 local = 06:00Z
    assert.equal(scheduleFloor(work, utc('2026-07-15T06:00:00Z'), 'Europe/Zurich').floor, 3);
    assert.equal(scheduleFloor(work, utc('2026-07-15T16:00:00Z'), 'Europe/Zurich').floor, 0);
    assert.equal(tzOffsetMs(utc('2026-01-14T07:00:00Z'), 'Europe/Zurich'), 3_600_000);
    assert.equal(tzOffsetMs(utc('2026-07-15T06:00:00Z'), 'Europe/Zurich'), 7_200_000);
  });
  it('works in a zone without daylight saving and with a half-hour offset', () => {
    const work = [parseScheduleRule('weekdays 09:00-17:00 at least 2')];
    // Asia/Tokyo is UTC+9 all year
    for (const d of ['2026-01-14', '2026-07-15']) {
      assert.equal(scheduleFloor(work, utc(`${d}T00:00:00Z`), 'Asia/Tokyo').floor, 2);
      assert.equal(scheduleFloor(work, utc(`${d}T08:00:00Z`), 'Asia/Tokyo').floor, 0);
    }
    // Asia/Kolkata is UTC+5:30: 09:00 local = 03:30Z
    assert.equal(scheduleFloor(work, utc('2026-01-14T03:29:00Z'), 'Asia/Kolkata').floor, 0);
    assert.equal(scheduleFloor(work, utc('2026-01-14T03:30:00Z'), 'Asia/Kolkata').floor, 2);
    // Saturday 01:00 in Tokyo is still Friday in UTC
    assert.deepEqual(localTime(utc('2026-03-06T16:00:00Z'), 'Asia/Tokyo'), { day: 6, minute: 60 });
  });
});
