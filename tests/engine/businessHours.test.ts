import {
  nextLocalTime,
  afterHoursNextOpen,
  describeOpening,
  isOpen,
  localDate,
  nextOpening,
  parseRange,
  type BusinessHours,
} from '../../src/engine/businessHours';
import { settingsSchema } from '../../src/engine/flowSchema';

const at = (iso: string) => Date.parse(iso);
const weekdays = { mon: '09:00-18:00', tue: '09:00-18:00', wed: '09:00-18:00', thu: '09:00-18:00', fri: '09:00-18:00' } as const;
const paris = (hours: BusinessHours['hours']): BusinessHours => ({ timezone: 'Europe/Paris', hours });
const next = (bh: BusinessHours, iso: string) => {
  const o = nextOpening(bh, at(iso));
  return o && describeOpening(o);
};

describe('opening hours', () => {
  it('parses "HH:MM-HH:MM" up to 24:00, and nothing else', () => {
    expect(parseRange('09:00-18:00')).toEqual({ from: 540, to: 1080 });
    expect(parseRange('00:00-24:00')).toEqual({ from: 0, to: 1440 });
    for (const bad of [
      'closed',
      '18:00-09:00',
      '09:00-09:00',
      '24:00-24:00',
      '09:60-10:00',
      '9:00-18:00',
      '09:00-24:01',
      undefined,
    ])
      expect(parseRange(bad)).toBeUndefined();
  });

  it('reads the wall clock of the business time zone, not UTC (Monday 22:00 in New York is Tuesday in UTC)', () => {
    const ny: BusinessHours = { timezone: 'America/New_York', hours: { mon: '09:00-23:00', tue: '09:00-18:00' } };
    expect(isOpen(ny, at('2026-11-24T03:00:00Z'))).toBe(true);
    expect(isOpen(ny, at('2026-11-24T04:30:00Z'))).toBe(false); // Monday 23:30
    expect(next(ny, '2026-11-24T04:30:00Z')).toBe('tomorrow at 09:00');
  });

  it('follows DST: the last Sunday of March (Paris springs to UTC+2)', () => {
    const sundays = paris({ sat: '09:00-12:00', sun: '09:00-12:00' });
    // 07:30 UTC is 08:30 on Saturday (UTC+1) but 09:30 on Sunday, after the change.
    expect(isOpen(sundays, at('2026-03-28T07:30:00Z'))).toBe(false);
    expect(isOpen(sundays, at('2026-03-29T07:30:00Z'))).toBe(true);
    expect(isOpen(sundays, at('2026-03-29T07:00:00Z'))).toBe(true); // 09:00 CEST (08:00 with the old offset)
    expect(isOpen(sundays, at('2026-03-29T06:59:00Z'))).toBe(false); // 08:59 CEST
    expect(isOpen(sundays, at('2026-03-29T06:30:00Z'))).toBe(false);
    expect(next(sundays, '2026-03-29T06:30:00Z')).toBe('today at 09:00');
    expect(next(sundays, '2026-03-28T19:00:00Z')).toBe('tomorrow at 09:00');
    expect(isOpen(sundays, at('2026-03-29T09:59:00Z'))).toBe(true); // 11:59 CEST
    expect(isOpen(sundays, at('2026-03-29T10:00:00Z'))).toBe(false);
  });

  it('follows DST: the last Sunday of October (Paris falls back to UTC+1)', () => {
    const weekend = paris({ sat: '09:00-12:00', sun: '09:00-12:00' });
    expect(isOpen(weekend, at('2026-10-24T07:30:00Z'))).toBe(true); // Saturday 09:30 CEST
    expect(isOpen(weekend, at('2026-10-25T07:30:00Z'))).toBe(false); // Sunday 08:30 CET
    expect(next(weekend, '2026-10-25T07:30:00Z')).toBe('today at 09:00');
    expect(isOpen(weekend, at('2026-10-25T08:00:00Z'))).toBe(true); // 09:00 CET
  });

  it('hours past midnight: "18:00-24:00" then "00:00-02:00" the next day', () => {
    const bar = paris({ fri: '18:00-24:00', sat: '00:00-02:00' });
    expect(isOpen(bar, at('2026-11-27T22:59:00Z'))).toBe(true); // Friday 23:59
    expect(isOpen(bar, at('2026-11-27T23:00:00Z'))).toBe(true); // Saturday 00:00
    expect(isOpen(bar, at('2026-11-28T00:59:00Z'))).toBe(true); // Saturday 01:59
    expect(isOpen(bar, at('2026-11-28T01:00:00Z'))).toBe(false); // Saturday 02:00
    expect(next(bar, '2026-11-28T01:00:00Z')).toBe('on Friday at 18:00');
    expect(isOpen(bar, at('2026-11-27T16:59:00Z'))).toBe(false); // Friday 17:59
  });

  it('closed days are skipped; the wording says today, tomorrow, on <day> or next <day>', () => {
    const office = paris({ ...weekdays, sat: 'closed' });
    expect(next(office, '2026-11-23T06:00:00Z')).toBe('today at 09:00'); // Monday 07:00
    expect(next(office, '2026-11-26T18:00:00Z')).toBe('tomorrow at 09:00'); // Thursday 19:00
    expect(next(office, '2026-11-27T17:30:00Z')).toBe('on Monday at 09:00'); // Friday 18:30
    expect(next(office, '2026-11-28T10:00:00Z')).toBe('on Monday at 09:00'); // Saturday, "closed"
    expect(next(office, '2026-11-23T15:00:00Z')).toBe('tomorrow at 09:00'); // open now: the next opening after this one
    expect(next(paris({ mon: '09:30-12:00' }), '2026-11-23T15:00:00Z')).toBe('next Monday at 09:30');
    expect(nextOpening(paris({ mon: 'closed' }), at('2026-11-23T15:00:00Z'))).toBeUndefined();
  });

  it('afterHoursNextOpen: only when business hours are set, closed now, and open some day', () => {
    const office = paris(weekdays);
    expect(afterHoursNextOpen(undefined, at('2026-11-28T10:00:00Z'))).toBeUndefined();
    expect(afterHoursNextOpen(office, at('2026-11-23T15:00:00Z'))).toBeUndefined();
    expect(afterHoursNextOpen(office, at('2026-11-28T10:00:00Z'))).toBe('on Monday at 09:00');
    expect(afterHoursNextOpen(paris({}), at('2026-11-28T10:00:00Z'))).toBeUndefined();
  });
});

describe('settings: handover.business_hours', () => {
  const issues = (handover: unknown) => {
    const r = settingsSchema.safeParse({ handover });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts hours and defaults the app to the Page Inbox', () => {
    expect(
      issues({ business_hours: { timezone: 'Europe/Paris', hours: { ...weekdays, sat: '10:00-24:00', sun: 'closed' } } }),
    ).toEqual([]);
    expect(settingsSchema.parse({}).handover).toEqual({ app_id: '263902037430900', grant_requests: 'when_idle' });
  });

  it('names the field of a bad time zone, hours or app id', () => {
    expect(issues({ business_hours: { timezone: 'Europe/Pariss', hours: {} } })).toEqual([
      expect.stringMatching(/^handover\.business_hours\.timezone: timezone "Europe\/Pariss" is not a known IANA time zone/),
    ]);
    expect(
      issues({ business_hours: { timezone: 'UTC', hours: { mon: '18:00-09:00', tue: '9-18', wed: '10:00-24:30' } } }),
    ).toEqual([
      expect.stringMatching(/^handover\.business_hours\.hours\.mon: the closing time must be after the opening time/),
      expect.stringMatching(/^handover\.business_hours\.hours\.tue: use "HH:MM-HH:MM"/),
      expect.stringMatching(/^handover\.business_hours\.hours\.wed: use "HH:MM-HH:MM"/),
    ]);
    expect(issues({ business_hours: { timezone: 'UTC', hours: { monday: '09:00-18:00' } } })).toHaveLength(1);
    expect(issues({ app_id: 263902037430900 })).toEqual([expect.stringContaining('app_id must be a quoted string of digits')]);
    expect(issues({ app_id: 'inbox' })).toEqual([expect.stringContaining('app_id must be digits only')]);
    expect(issues({ resume_at: 'shop/menu' })).toEqual([expect.stringContaining('resume_at is "<flow>:<node>"')]);
  });
});

describe('nextLocalTime (sends at each user local hour)', () => {
  const at = (iso: string) => Date.parse(iso);
  it('finds the next HH:MM in an IANA zone, today or tomorrow', () => {
    // 15:00 UTC is 16:00 in Paris (winter, UTC+1): 18:00 Paris is 17:00 UTC the same day.
    expect(new Date(nextLocalTime(at('2026-11-23T15:00:00Z'), 'Europe/Paris', 18, 0)).toISOString()).toBe(
      '2026-11-23T17:00:00.000Z',
    );
    // Past 18:00 Paris: tomorrow.
    expect(new Date(nextLocalTime(at('2026-11-23T17:30:00Z'), 'Europe/Paris', 18, 0)).toISOString()).toBe(
      '2026-11-24T17:00:00.000Z',
    );
    // Exactly now counts.
    expect(nextLocalTime(at('2026-11-23T17:00:00Z'), 'Europe/Paris', 18, 0)).toBe(at('2026-11-23T17:00:00Z'));
  });

  it('follows DST: the same local hour is a different UTC hour before and after the change', () => {
    // Paris leaves summer time on 2026-10-25: 18:00 is 16:00 UTC on the 24th and 17:00 UTC on the 25th.
    expect(new Date(nextLocalTime(at('2026-10-24T12:00:00Z'), 'Europe/Paris', 18, 0)).toISOString()).toBe(
      '2026-10-24T16:00:00.000Z',
    );
    expect(new Date(nextLocalTime(at('2026-10-25T00:30:00Z'), 'Europe/Paris', 18, 0)).toISOString()).toBe(
      '2026-10-25T17:00:00.000Z',
    );
    // New York springs forward on 2026-03-08: 09:00 is 14:00 UTC the day before and 13:00 UTC that day.
    expect(new Date(nextLocalTime(at('2026-03-07T12:00:00Z'), 'America/New_York', 9, 0)).toISOString()).toBe(
      '2026-03-07T14:00:00.000Z',
    );
    expect(new Date(nextLocalTime(at('2026-03-08T06:00:00Z'), 'America/New_York', 9, 0)).toISOString()).toBe(
      '2026-03-08T13:00:00.000Z',
    );
  });

  it('a fixed UTC offset (the Messenger profile) has no DST', () => {
    expect(new Date(nextLocalTime(at('2026-11-23T15:00:00Z'), -5, 18, 0)).toISOString()).toBe('2026-11-23T23:00:00.000Z');
    expect(new Date(nextLocalTime(at('2026-11-23T15:00:00Z'), 5.5, 18, 30)).toISOString()).toBe('2026-11-24T13:00:00.000Z');
  });
});

describe('localDate', () => {
  it('turns at each zone midnight, to the millisecond', () => {
    // Kathmandu is UTC+5:45: its midnight of 2026-03-10 is 18:15 UTC on the 9th.
    const midnight = Date.UTC(2026, 2, 9, 18, 15);
    const asked = [midnight - 1, midnight - 1, midnight, midnight + 999, midnight - 1001, midnight + 1000];
    expect(asked.map((t) => localDate(t, 'Asia/Kathmandu'))).toEqual([
      '2026-03-09',
      '2026-03-09',
      '2026-03-10',
      '2026-03-10',
      '2026-03-09',
      '2026-03-10',
    ]);
    // Zones are kept apart: the same instant is another day in New York.
    expect(localDate(midnight, 'America/New_York')).toBe('2026-03-09');
    expect(localDate(midnight, 'Asia/Kathmandu')).toBe('2026-03-10');
  });
});
