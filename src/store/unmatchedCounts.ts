import { DAY_MS } from '../platform/messagingRules';
import {
  UNMATCHED_RETENTION_DAYS,
  UNMATCHED_TEXT_MAX,
  type UnmatchedCount,
  type UnmatchedOutcome,
  type UnmatchedStore,
} from './ports';

/**
 * The counting rules both UnmatchedStore adapters share: how a text is kept (a member per text and
 * outcome), which UTC days a window covers, when a day expires, and how days are summed.
 */

/** The UTC day (YYYY-MM-DD) of a time in ms. */
export const utcDay = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** The `days` UTC days ending with the day of `now`, newest first (at most the retention). */
export function windowDays(now: number, days: number): string[] {
  const n = Math.max(1, Math.min(UNMATCHED_RETENTION_DAYS, Math.floor(days)));
  return Array.from({ length: n }, (_, i) => utcDay(now - i * DAY_MS));
}

/** When a day's counts expire: UNMATCHED_RETENTION_DAYS after the day began (ms). */
export const dayExpiresAt = (day: string): number => Date.parse(`${day}T00:00:00Z`) + UNMATCHED_RETENTION_DAYS * DAY_MS;

const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/gu;
/** Six digits or more, spaces, dots, dashes or brackets between them allowed: phone, order and card numbers. */
const LONG_NUMBER = /\+?\d(?:[\s().-]{0,2}\d){5,}/gu;

/**
 * What may be kept of a customer's words: an email address or a long number names or points at
 * someone, so it becomes <email> or <number> (which also counts "where is order 104233" and
 * "where is order 104234" as one question).
 */
export const maskPersonal = (text: string): string => text.replace(EMAIL, '<email>').replace(LONG_NUMBER, '<number>');

/**
 * The stored member of a text and outcome: personal data masked, cut to UNMATCHED_TEXT_MAX
 * characters (whole code points); '' for an empty text.
 */
export function memberOf(text: string, outcome: UnmatchedOutcome): string {
  const kept = Array.from(maskPersonal(text.trim())).slice(0, UNMATCHED_TEXT_MAX).join('');
  return kept === '' ? '' : `${outcome === 'fallback' ? 'f' : 's'}:${kept}`;
}

export interface DayCounts {
  readonly day: string;
  readonly members: ReadonlyArray<readonly [member: string, count: number]>;
}

/** Sums days of members into the `limit` most counted texts (ties: by text); members of no known form are left out. */
export function sumDays(days: readonly DayCounts[], limit: number): UnmatchedCount[] {
  const byText = new Map<string, { text: string; count: number; fallback: number; suggested: number; lastDay: string }>();
  for (const { day, members } of days) {
    for (const [member, count] of members) {
      const kind = member.slice(0, 2);
      if ((kind !== 'f:' && kind !== 's:') || !(count > 0)) continue;
      const text = member.slice(2);
      const row = byText.get(text) ?? { text, count: 0, fallback: 0, suggested: 0, lastDay: day };
      row.count += count;
      if (kind === 'f:') row.fallback += count;
      else row.suggested += count;
      if (day > row.lastDay) row.lastDay = day;
      byText.set(text, row);
    }
  }
  return [...byText.values()]
    .sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0))
    .slice(0, Math.max(0, limit));
}

/** What `talkshop insights unmatched` and GET /admin/insights/unmatched answer: the window and its most counted texts. */
export interface UnmatchedReport {
  readonly days: number;
  /** The first and last UTC day of the window (YYYY-MM-DD). */
  readonly from: string;
  readonly to: string;
  readonly limit: number;
  readonly texts: readonly UnmatchedCount[];
}

export async function unmatchedReport(store: UnmatchedStore, now: number, days: number, limit: number): Promise<UnmatchedReport> {
  const window = windowDays(now, days);
  return {
    days: window.length,
    from: window[window.length - 1] ?? utcDay(now),
    to: utcDay(now),
    limit,
    texts: await store.top(now, days, limit),
  };
}
