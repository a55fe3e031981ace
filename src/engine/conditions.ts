import { localTime, WEEKDAYS } from './businessHours';
import type { Condition } from './flowSchema';
import type { UserState } from './userState';

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function fieldHolds(c: Extract<Condition, { field: string }>, state: UserState): boolean {
  const v = state.fields[c.field];
  const n = typeof v === 'number' ? v : Number(v);
  const checks: boolean[] = [];
  if (c.exists !== undefined) checks.push((v !== undefined) === c.exists);
  if (c.equals !== undefined) checks.push(v !== undefined && String(v) === String(c.equals));
  if (c.not_equals !== undefined) checks.push(v === undefined || String(v) !== String(c.not_equals));
  if (c.gt !== undefined) checks.push(v !== undefined && n > c.gt);
  if (c.gte !== undefined) checks.push(v !== undefined && n >= c.gte);
  if (c.lt !== undefined) checks.push(v !== undefined && n < c.lt);
  if (c.lte !== undefined) checks.push(v !== undefined && n <= c.lte);
  if (c.in !== undefined) checks.push(v !== undefined && c.in.map(String).includes(String(v)));
  if (c.matches !== undefined) checks.push(v !== undefined && safeRegex(c.matches).test(String(v)));
  // A bare { field } asks whether it is set.
  return checks.length === 0 ? v !== undefined : checks.every(Boolean);
}

function safeRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'iu');
  } catch {
    return /$^/; // never matches; the linter rejects invalid patterns before they get here
  }
}

export function holds(c: Condition, state: UserState, now: number): boolean {
  if ('field' in c) return fieldHolds(c, state);
  if ('tag' in c) return state.tags.includes(c.tag);
  if ('not_tag' in c) return !state.tags.includes(c.not_tag);
  if ('subscribed' in c) return state.consent[c.subscribed]?.subscribed === true;
  if ('not_subscribed' in c) return state.consent[c.not_subscribed]?.subscribed !== true;
  const { day, minutes } = localTime(now, c.time.tz);
  if (c.time.days && !c.time.days.some((d) => d === WEEKDAYS[day])) return false;
  if (!c.time.between) return true;
  const [from, to] = c.time.between.map(toMinutes) as [number, number];
  // A window like ["22:00","06:00"] wraps midnight.
  return from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

export const allHold = (cs: Condition | readonly Condition[], state: UserState, now: number): boolean =>
  (Array.isArray(cs) ? cs : [cs]).every((c: Condition) => holds(c, state, now));
