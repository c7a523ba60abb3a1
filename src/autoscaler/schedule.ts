/**
 * Scheduled floors: "weekdays 08:00-18:00 at least 3", "daily 00:00-06:00 at least 1",
 * "mon,wed,fri 09:00-17:30 at least 2", "sat-sun 10:00-14:00 at least 1", "22:00-02:00 at least 1"
 * (no days = daily; an end before the start wraps past midnight into the next day). Times are wall-clock
 * in the spec's time zone, so a rule keeps meaning 08:00 across daylight-saving changes.
 */
import { invalid } from '../core/errors.js';
import { localTime } from './timezone.js';
import type { ScheduleRule } from './types.js';

const DAY_NAMES: Record<string, number> = {
  sun: 0,
  sunday: 0,
  mon: 1,
  monday: 1,
  tue: 2,
  tues: 2,
  tuesday: 2,
  wed: 3,
  wednesday: 3,
  thu: 4,
  thur: 4,
  thurs: 4,
  thursday: 4,
  fri: 5,
  friday: 5,
  sat: 6,
  saturday: 6,
};
const DAY_SETS: Record<string, number[]> = {
  daily: [0, 1, 2, 3, 4, 5, 6],
  everyday: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [1, 2, 3, 4, 5],
  weekends: [0, 6],
  weekend: [0, 6],
};
const SHORT = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const EXAMPLE = 'write e.g. "weekdays 08:00-18:00 at least 3" or "22:00-02:00 at least 1"';

function parseDay(word: string, field: string, text: string): number {
  const d = DAY_NAMES[word];
  if (d === undefined) throw invalid(field, `"${text}": unknown day "${word}" (use mon..sun, weekdays, weekends or daily)`);
  return d;
}

/** "weekdays" | "mon,wed,fri" | "sat-sun" | "mon-wed,fri" -> sorted day numbers (0 = Sunday). */
export function parseDays(expr: string, field = 'schedule', text = expr): number[] {
  const set = DAY_SETS[expr];
  if (set) return [...set];
  const days = new Set<number>();
  for (const item of expr.split(',')) {
    if (!item) throw invalid(field, `"${text}": empty day in "${expr}"`);
    const range = item.split('-');
    if (range.length > 2) throw invalid(field, `"${text}": bad day range "${item}"`);
    if (range.length === 1) {
      const named = DAY_SETS[item];
      if (named) named.forEach((d) => days.add(d));
      else days.add(parseDay(item, field, text));
      continue;
    }
    const from = parseDay(range[0], field, text);
    const to = parseDay(range[1], field, text);
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort((a, b) => a - b);
}

function parseClock(hhmm: string, field: string, text: string, isEnd: boolean): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  const ok = m && min < 60 && (h < 24 || (isEnd && h === 24 && min === 0));
  if (!ok) throw invalid(field, `"${text}": "${hhmm}" is not a time of day (00:00 to 24:00)`);
  return h * 60 + min;
}

/** Parses one rule; errors name the problem and show the expected form. */
export function parseScheduleRule(text: string, field = 'schedule'): ScheduleRule {
  const src = String(text).trim();
  const norm = src
    .toLowerCase()
    .replace(/\s*,\s*/g, ',')
    .replace(/\s*-\s*/g, '-')
    .replace(/\s+/g, ' ');
  const m = /^(?:(\S+) )?(\d{1,2}:\d{2})-(\d{1,2}:\d{2}) at least (\S+)$/.exec(norm.replace(/^every day /, 'daily '));
  if (!m) throw invalid(field, `"${src}" is not a schedule rule; ${EXAMPLE}`);
  const days = m[1] ? parseDays(m[1], field, src) : [...DAY_SETS.daily];
  const startMinute = parseClock(m[2], field, src, false);
  const endMinute = parseClock(m[3], field, src, true);
  if (startMinute === endMinute) {
    throw invalid(field, `"${src}": the window is empty; use 00:00-24:00 for a whole day`);
  }
  if (!/^\d+$/.test(m[4]) || Number(m[4]) > 1000) {
    throw invalid(field, `"${src}": "at least ${m[4]}" must be a whole number of replicas from 0 to 1000`);
  }
  return { days, startMinute, endMinute: endMinute === 0 ? 1440 : endMinute, minReplicas: Number(m[4]), text: src };
}

export function parseScheduleRules(texts: readonly string[], field = 'schedules'): ScheduleRule[] {
  return texts.map((t, i) => parseScheduleRule(t, `${field}[${i}]`));
}

/** Is `rule` in force at local (day, minute)? A wrapping window belongs to the day it starts on. */
export function ruleActive(rule: ScheduleRule, day: number, minute: number): boolean {
  if (rule.startMinute < rule.endMinute) {
    return rule.days.includes(day) && minute >= rule.startMinute && minute < rule.endMinute;
  }
  if (minute >= rule.startMinute) return rule.days.includes(day);
  return minute < rule.endMinute && rule.days.includes((day + 6) % 7);
}

export interface ScheduleFloor {
  floor: number;
  /** the rule that sets the floor (the first of the highest), when one is in force */
  rule?: ScheduleRule;
}

/** The highest floor of the rules in force at `now` (overlapping rules: the larger floor wins). */
export function scheduleFloor(rules: readonly ScheduleRule[], now: number, timeZone: string): ScheduleFloor {
  if (!rules.length) return { floor: 0 };
  const { day, minute } = localTime(now, timeZone);
  let best: ScheduleFloor = { floor: 0 };
  for (const r of rules) {
    if (ruleActive(r, day, minute) && (best.rule === undefined || r.minReplicas > best.floor)) {
      best = { floor: r.minReplicas, rule: r };
    }
  }
  return best;
}

/** Canonical text of a rule, e.g. "mon,wed,fri 09:00-17:30 at least 2". */
export function formatScheduleRule(rule: ScheduleRule): string {
  const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const key = rule.days.join(',');
  const days = key === '0,1,2,3,4,5,6' ? 'daily' : key === '1,2,3,4,5' ? 'weekdays' : key === '0,6' ? 'weekends' : rule.days.map((d) => SHORT[d]).join(',');
  return `${days} ${hhmm(rule.startMinute)}-${hhmm(rule.endMinute)} at least ${rule.minReplicas}`;
}
