import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

/**
 * The demo's business clock: `talkshop demo --speed n` runs the engine, the timers, the fan-out
 * and the fake Graph API on a clock that goes n times faster than real time from the moment the
 * demo starts, so a drip sequence's "4 hours later" or "1 week later" can be watched in seconds.
 * Leases, rate limits and HTTP timeouts keep real time (server.ts passes `now` only where a
 * business time is meant).
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

/** What GET /demo/clock answers. */
export const demoClockSchema = z.object({ now: z.number().int(), speed: z.number().int().min(1), startedAt: z.number().int() });
export type DemoClockReading = z.infer<typeof demoClockSchema>;

/**
 * The demo's clock route for the webhook listener (server.ts StartOptions.routes): answers
 * GET /demo/clock and leaves every other request to the service. No token: the demo's time is no secret.
 */
export function demoClockRoute(clock: () => number, speed: number, startedAt: number) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.url?.split('?', 1)[0] !== DEMO_CLOCK_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
      return true;
    }
    const body: DemoClockReading = { now: clock(), speed, startedAt };
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
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
