import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readCappedBody } from './demoWebBody';

/**
 * The demo's business clock: `talkshop demo --speed n` runs the engine, the timers, the fan-out
 * and the fake Graph API on a clock that goes n times faster than real time from the moment the
 * demo starts, so a drip sequence's "4 hours later" or "1 week later" can be watched in seconds.
 * Leases, rate limits and HTTP timeouts keep real time (server.ts passes `now` only where a
 * business time is meant). The demo page's "+1 hour" and "+1 day" jump it forward on top of that
 * (startDemoClock, POST /demo/clock), at any speed.
 */

/** Above this one second is more than a day: the 24 h messaging window would close in under a second. */
export const MAX_DEMO_SPEED = 100_000;

/** Where the demo answers its clock, on its webhook listener (`send-event --demo` stamps messages with it). */
export const DEMO_CLOCK_PATH = '/demo/clock';

const SPEED_HELP = `--speed expects a whole number from 1 to ${MAX_DEMO_SPEED} (how many times faster than real time the demo's clock runs)`;

/** `--speed` as typed: a whole number 1..MAX_DEMO_SPEED, or a message saying what it expects. */
export function parseSpeed(raw: string): { ok: true; speed: number } | { ok: false; message: string } {
  const speed = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isSafeInteger(speed) && speed >= 1 && speed <= MAX_DEMO_SPEED
    ? { ok: true, speed }
    : { ok: false, message: `${SPEED_HELP}; got "${raw}"` };
}

/**
 * A clock that reads `startReal` when started and then runs `speed` times faster than `realNow`.
 * Starting at the real time keeps the first minutes of a demo's log and state plausible dates.
 */
export function scaledClock(startReal: number, speed: number, realNow: () => number = Date.now): () => number {
  if (speed === 1) return realNow;
  return () => startReal + Math.round((realNow() - startReal) * speed);
}

const UNITS = [
  { name: 'second', s: 1 },
  { name: 'minute', s: 60 },
  { name: 'hour', s: 3600 },
  { name: 'day', s: 86_400 },
  { name: 'week', s: 604_800 },
] as const;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/**
 * The speed as a person reads it: "1 minute = 1 week" for 10080, "1 second = 1 hour" for 3600.
 * Among one real second, minute or hour, the one whose business time is the smallest whole number
 * of some unit wins; a speed with no tidy form is rounded ("1 second ≈ 1.2 days").
 */
export function describeSpeed(speed: number): string {
  if (speed === 1) return 'real time';
  let best: { text: string; value: number } | undefined;
  for (const real of UNITS.slice(0, 3)) {
    const business = real.s * speed;
    for (const unit of UNITS) {
      const value = business / unit.s;
      if (!Number.isInteger(value) || value < 1) continue;
      if (best === undefined || value < best.value) best = { text: `1 ${real.name} = ${plural(value, unit.name)}`, value };
    }
  }
  if (best && best.value <= 60) return best.text;
  const unit = [...UNITS].reverse().find((u) => speed / u.s >= 1) ?? UNITS[0];
  return `1 second ≈ ${Number((speed / unit.s).toFixed(1))} ${unit.name}s`;
}

/**
 * The demo's clock with the page's "move the clock forward" (README "Try the demo"): the scaled
 * clock plus what the jumps added. A jump only ever moves it forward, and `now` never reads less
 * than it read before, so timers, windows and the fake's receipts see time that only grows. The
 * timer pump reads `now` every half second (runtime/timerPump.ts), so a step a jump made due
 * fires within that: nothing needs waking.
 */
export interface DemoClock {
  readonly now: () => number;
  readonly speed: number;
  /** The real time the demo started (the scaled clock's origin). */
  readonly startedAt: number;
  /** What the jumps added so far, in ms. */
  readonly aheadMs: () => number;
  /** Moves the clock forward by `ms`, within the caps; what it reads after, or why not. */
  advance(ms: number): AdvanceOutcome;
}

export type AdvanceOutcome =
  | { readonly type: 'advanced'; readonly reading: DemoClockReading }
  /** Not a jump the demo makes (under a minute, over MAX_JUMP_MS): the request is wrong. */
  | { readonly type: 'out_of_range'; readonly message: string }
  /** All jumps together would pass MAX_AHEAD_MS: the clock's state refuses it. */
  | { readonly type: 'capped'; readonly message: string };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** One jump: a month is past any sequence step the demo shows (its weekly steps are 1 and 2 weeks). */
export const MAX_JUMP_MS = 30 * DAY_MS;
/** All jumps together: a year keeps the demo's dates plausible and every sum far from overflow. */
export const MAX_AHEAD_MS = 365 * DAY_MS;

export function startDemoClock(startedAt: number, speed: number, realNow: () => number = Date.now): DemoClock {
  const scaled = scaledClock(startedAt, speed, realNow);
  let ahead = 0;
  let last = Number.NEGATIVE_INFINITY;
  // Monotonic even if the machine's clock steps back (NTP): a timer once due stays due.
  const now = () => (last = Math.max(last, scaled() + ahead));
  const reading = (): DemoClockReading => ({ now: now(), speed, startedAt, aheadMs: ahead });
  return {
    now,
    speed,
    startedAt,
    aheadMs: () => ahead,
    advance(ms) {
      if (!Number.isSafeInteger(ms) || ms < MINUTE_MS || ms > MAX_JUMP_MS)
        return { type: 'out_of_range', message: `a jump is 1 minute to ${MAX_JUMP_MS / DAY_MS} days` };
      if (ahead + ms > MAX_AHEAD_MS)
        return {
          type: 'capped',
          message: `the demo's clock is already ${plural(Math.round((ahead / DAY_MS) * 10) / 10, 'day')} ahead; all jumps together are at most ${MAX_AHEAD_MS / DAY_MS} days (restart the demo to start again)`,
        };
      ahead += ms;
      return { type: 'advanced', reading: reading() };
    },
  };
}

/** What GET /demo/clock answers (and POST, after the jump). */
export const demoClockSchema = z.object({
  now: z.number().int(),
  speed: z.number().int().min(1),
  startedAt: z.number().int(),
  /** What the page's jumps added; absent from a demo older than them. */
  aheadMs: z.number().int().nonnegative().optional(),
});
export type DemoClockReading = z.infer<typeof demoClockSchema>;

/** A jump as the page asks for it: `{"by": "1h"}`, a whole number of minutes (m), hours (h) or days (d). */
export const demoClockJumpSchema = z.strictObject({
  by: z
    .string()
    .max(16)
    .regex(/^[1-9]\d{0,5}[mhd]$/, 'expected a whole number and a unit: 30m, 1h, 1d'),
});

const UNIT_MS = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS } as const;
export const jumpMs = (by: string): number => Number(by.slice(0, -1)) * UNIT_MS[by.slice(-1) as keyof typeof UNIT_MS];

/** A jump is a few bytes; anything longer is not one. */
export const DEMO_CLOCK_BODY_LIMIT = 1024;

type Reply = { readonly status: number; readonly body: unknown };

async function jump(clock: DemoClock, req: IncomingMessage): Promise<Reply> {
  // JSON only: a form post from another site (no CORS preflight) cannot move the demo's clock.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    return { status: 415, body: { error: 'send the jump as JSON (content-type: application/json): {"by": "1h"}' } };
  const raw = await readCappedBody(req, DEMO_CLOCK_BODY_LIMIT);
  if (raw === undefined) return { status: 413, body: { error: `a jump is at most ${DEMO_CLOCK_BODY_LIMIT} bytes` } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return { status: 400, body: { error: 'the body is not JSON: send {"by": "1h"}' } };
  }
  const body = demoClockJumpSchema.safeParse(parsed);
  if (!body.success)
    return {
      status: 400,
      body: {
        error: `not a jump: ${body.error.issues[0]?.message ?? 'invalid'}; send {"by": "30m"}, {"by": "1h"} or {"by": "1d"}`,
      },
    };
  const outcome = clock.advance(jumpMs(body.data.by));
  return outcome.type === 'advanced'
    ? { status: 200, body: outcome.reading }
    : { status: outcome.type === 'out_of_range' ? 400 : 409, body: { error: outcome.message } };
}

/**
 * The demo's clock route for the webhook listener (server.ts StartOptions.routes): GET
 * /demo/clock reads it, POST /demo/clock {"by": "1h"} moves it forward; every other request is
 * the service's. No token, as for the page's other routes: the demo listens on loopback, and its
 * time is no secret. Only `talkshop demo` mounts it; under `serve` the clock is the real one.
 */
export function demoClockRoute(clock: DemoClock) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.url?.split('?', 1)[0] !== DEMO_CLOCK_PATH) return false;
    const send = ({ status, body }: Reply) =>
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    if (req.method === 'POST') {
      jump(clock, req).then(send, (err: unknown) =>
        send({ status: 500, body: { error: `the jump failed: ${(err as Error).message}` } }),
      );
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD, POST', 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
      return true;
    }
    const body: DemoClockReading = { now: clock.now(), speed: clock.speed, startedAt: clock.startedAt, aheadMs: clock.aheadMs() };
    send({ status: 200, body });
    return true;
  };
}

/**
 * The running demo's business time, from GET /demo/clock at `baseUrl`; undefined when the service
 * there has no demo clock (a real service, or a demo from before --speed): real time is then its time.
 */
export async function readDemoClock(baseUrl: string): Promise<DemoClockReading | undefined> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}${DEMO_CLOCK_PATH}`, { signal: AbortSignal.timeout(5_000) });
  if (res.status === 404) return undefined;
  const parsed = demoClockSchema.safeParse(await res.json().catch(() => undefined));
  if (!res.ok || !parsed.success) throw new Error(`${DEMO_CLOCK_PATH} answered ${res.status} without a clock reading`);
  return parsed.data;
}
