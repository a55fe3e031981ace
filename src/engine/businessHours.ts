/**
 * Opening hours of the people behind the bot (settings.handover.business_hours), read in the
 * business's own time zone. Pure: the time is always given (`now`), and the wall-clock day and time
 * come from Intl's time-zone data, never from a fixed offset, so DST changes need no special case.
 */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BusinessHours {
  /** IANA time zone, e.g. Europe/Paris. */
  readonly timezone: string;
  /** "09:00-18:00" or "closed" per day; a day not listed is closed. */
  readonly hours: Readonly<Partial<Record<Weekday, string>>>;
}

/** The next time the business opens: `inDays` local calendar days after `now`'s day, at `time`. */
export interface Opening {
  readonly inDays: number;
  readonly day: Weekday;
  readonly time: string;
}

const DAY = 24 * 60;

/**
 * "09:00-18:00" → minutes since local midnight, [from, to). Undefined for "closed" and for anything
 * malformed: times past 24:00, an opening at 24:00, or an end not after the start (hours past
 * midnight continue on the next day from "00:00").
 */
export function parseRange(text: string | undefined): { from: number; to: number } | undefined {
  const m = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/.exec(text ?? '');
  if (!m) return undefined;
  const [h1, m1, h2, m2] = m.slice(1).map(Number) as [number, number, number, number];
  if (m1 > 59 || m2 > 59) return undefined;
  const from = h1 * 60 + m1;
  const to = h2 * 60 + m2;
  return from < to && to <= DAY ? { from, to } : undefined;
}

/** Whether Intl knows the zone (the schema refuses the others, so the engine never meets one). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Local weekday (0 = Monday) and minutes since local midnight of `now` in `tz`, via Intl (no clock read). */
export function localTime(now: number, tz: string): { day: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.indexOf(get('weekday').slice(0, 3).toLowerCase() as Weekday);
  return { day: Math.max(day, 0), minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const dayAt = (index: number): Weekday => WEEKDAYS[index % 7] as Weekday;

export function isOpen(bh: BusinessHours, now: number): boolean {
  const { day, minutes } = localTime(now, bh.timezone);
  const range = parseRange(bh.hours[dayAt(day)]);
  return range !== undefined && minutes >= range.from && minutes < range.to;
}

/** The first opening strictly after `now` (when open now: the next day's); undefined if no day opens. */
export function nextOpening(bh: BusinessHours, now: number): Opening | undefined {
  const { day, minutes } = localTime(now, bh.timezone);
  // Up to 7 days ahead: a business open only on today's weekday, already past, opens in a week.
  for (let inDays = 0; inDays <= 7; inDays++) {
    const range = parseRange(bh.hours[dayAt(day + inDays)]);
    if (range && (inDays > 0 || minutes < range.from)) return { inDays, day: dayAt(day + inDays), time: clock(range.from) };
  }
  return undefined;
}

const clock = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** English wording for {{next_open}}: "today at 09:00", "tomorrow at 09:00", "on Monday at 09:00", "next Monday at 09:00". */
export function describeOpening(o: Opening): string {
  const when =
    o.inDays === 0
      ? 'today'
      : o.inDays === 1
        ? 'tomorrow'
        : o.inDays === 7
          ? `next ${DAY_NAMES[o.day]}`
          : `on ${DAY_NAMES[o.day]}`;
  return `${when} at ${o.time}`;
}

/**
 * What fills {{next_open}} when a handover happens outside business hours. Undefined when there are
 * no business hours, when they are open now, and when no day ever opens (nothing true to promise).
 */
export function afterHoursNextOpen(bh: BusinessHours | undefined, now: number): string | undefined {
  if (!bh || isOpen(bh, now)) return undefined;
  const next = nextOpening(bh, now);
  return next && describeOpening(next);
}

/** A user's time zone: an IANA name (DST-correct), or a fixed UTC offset in hours (Meta's profile: no DST). */
export type UserZone = string | number;

/**
 * The first instant at or after `now` when the wall clock in `zone` shows `hour:minute` (within the
 * next 24 hours, DST-correct for an IANA zone: a time skipped by a spring-forward comes an hour
 * later that day's; a repeated one comes the first time).
 */
export function nextLocalTime(now: number, zone: UserZone, hour: number, minute: number): number {
  const target = hour * 60 + minute;
  const minuteStart = now - (now % 60_000);
  const localMinutes = (at: number) =>
    typeof zone === 'number' ? Math.floor((at + zone * 3_600_000) / 60_000) % DAY : localTime(at, zone).minutes;
  const ahead = (from: number) => (((target - localMinutes(from)) % DAY) + DAY) % DAY;
  let at = minuteStart + ahead(minuteStart) * 60_000;
  // Across a DST change the first guess is an hour off: correct it against the zone at that moment.
  for (let i = 0; i < 2 && localMinutes(at) !== target; i++) {
    const diff = ahead(at);
    at += (diff > DAY / 2 ? diff - DAY : diff) * 60_000;
  }
  return at < now ? at + DAY * 60_000 : at;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) at `now` in an IANA zone. */
export function localDate(now: number, zone: string): string {
  let format = dateFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(zone, format);
  }
  return format.format(now);
}

/**
 * A UTC offset in whole hours as an IANA zone (Etc/GMT+5 is UTC−5: the sign is inverted there);
 * a fractional offset has no such zone: undefined.
 */
export function offsetZone(hours: number): string | undefined {
  if (!Number.isInteger(hours) || hours < -14 || hours > 14) return undefined;
  return hours === 0 ? 'UTC' : `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`;
}

/** When a proactive message may go out: between two local times, on some weekdays (default every day). */
export interface SendWindow {
  readonly hours?: readonly [string, string];
  readonly days?: readonly Weekday[];
}

/**
 * The first instant at or after `at` inside the window in `zone` (at itself when it is inside),
 * DST-correct (via Intl, as business hours are). A window with no hours is open all day on its days.
 */
export function nextInWindow(at: number, zone: string, window: SendWindow): number {
  const hours = window.hours ? `${window.hours[0]}-${window.hours[1]}` : '00:00-24:00';
  const bh: BusinessHours = {
    timezone: zone,
    hours: Object.fromEntries((window.days ?? WEEKDAYS).map((d) => [d, hours])),
  };
  const open = parseRange(hours);
  if (!open) return at;
  let t = at;
  // Each round moves to the next local opening time (≤ 24 h on); 8 rounds cover any weekday set.
  for (let i = 0; i < 9; i++) {
    if (isOpen(bh, t)) return t;
    t = nextLocalTime(t + (i === 0 ? 0 : 60_000), zone, Math.floor(open.from / 60), open.from % 60);
  }
  return at;
}
