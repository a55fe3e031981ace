import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';

/** One call of the take script on the watched bucket, as Redis ran it. */
export interface TakeAttempt {
  /** Server clock (ms) just before the script ran: its own `now` is at or after this. */
  readonly before: number;
  /** Tokens the take needed: 1, plus the reserve it must leave (bulk, cosmetic). */
  readonly need: number;
  /** The bucket's rate (tokens/s) and burst as the take gave them. */
  readonly rate: number;
  readonly burst: number;
  /** Set when the take was granted: the script's `now`, the tokens it left and how many it granted. */
  grant?: { readonly at: number; readonly left: number; readonly count: number };
}

export interface BucketGrants {
  /** Every take on the bucket so far, in the order Redis ran them. */
  readonly attempts: TakeAttempt[];
  /** Server-clock times (ms) of the tokens granted so far (one per token), in the order Redis ran them. */
  readonly times: number[];
  /** Resolves once every command Redis ran before this call has been read. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Seconds.microseconds at the start of a MONITOR line, in ms. */
const monitorTime = (line: string): number => Number(line.slice(0, line.indexOf(' '))) * 1000;

/**
 * The takes of one token bucket, timed by the limiter itself, read from Redis's MONITOR (which
 * also shows the commands scripts run). For src/store/redis/lua/rateLimit.lua: a take is an
 * EVAL/EVALSHA naming the bucket and 'take'; the script reads the bucket (HMGET) and, only when it
 * grants, writes `HSET <bucket> t <tokens left> at <now> p 0`, `now` being the server's clock at
 * the grant. Timing grants anywhere later (in a client after the reply, or at the Graph API after a
 * typing indicator and an HTTP hop) adds each process's scheduling delay, which on a busy machine
 * bunches grants together in a way the limiter never allowed. Assumes no pause on the bucket.
 */
export async function watchGrants(url: string, bucketKey: string): Promise<BucketGrants> {
  const monitor = createClient({ url });
  const marker = createClient({ url });
  await Promise.all([monitor.connect(), marker.connect()]);
  const attempts: TakeAttempt[] = [];
  const times: number[] = [];
  const markers = new Map<string, () => void>();
  const key = `"${bucketKey}"`;
  const read = `[0 lua] "HMGET" ${key} `;
  const write = `[0 lua] "HSET" ${key} "t" `;
  // The calling command is reported before its script runs: no other command runs in between.
  let called: { at: number; need: number; rate: number; burst: number } | undefined;
  let lastGrant: TakeAttempt['grant'];
  await monitor.monitor((line: string) => {
    if (line.includes(key)) {
      const at = line.indexOf(write);
      if (at >= 0) {
        const grant = /^"([^"]+)" "at" "([^"]+)" "p" "0"$/.exec(line.slice(at + write.length));
        const last = attempts[attempts.length - 1];
        if (grant && last && !last.grant) {
          // How many it granted (a take may ask for several): the tokens it found minus those it left.
          const at = Number(grant[2]);
          const left = Number(grant[1]);
          const before = lastGrant;
          const found = before ? Math.min(last.burst, before.left + ((at - before.at) * last.rate) / 1000) : last.burst;
          last.grant = { at, left, count: Math.max(1, Math.round(found - left)) };
          lastGrant = last.grant;
          for (let i = 0; i < last.grant.count; i++) times.push(at);
        }
      } else if (line.includes(read)) {
        // NaN: a Redis that reports the call after its script.
        attempts.push({
          before: called?.at ?? Number.NaN,
          need: called?.need ?? Number.NaN,
          rate: called?.rate ?? Number.NaN,
          burst: called?.burst ?? Number.NaN,
        });
        called = undefined;
      } else if (/ "eval(sha)?" /i.test(line)) {
        const take = /"take" "([^"]+)" "([^"]+)" "([^"]+)" "[^"]+"$/.exec(line); // rate, burst, reserve, count
        if (take) called = { at: monitorTime(line), need: 1 + Number(take[3]), rate: Number(take[1]), burst: Number(take[2]) };
      }
      return;
    }
    for (const [id, seen] of markers) if (line.includes(id)) seen();
  });
  return {
    attempts,
    times,
    // MONITOR reports commands in the order Redis ran them: once a marker sent now comes back,
    // every take before it has been read.
    flush: async () => {
      const id = `grants-flush-${randomUUID()}`;
      const seen = new Promise<void>((resolve) => markers.set(id, resolve));
      await marker.echo(id);
      await seen;
      markers.delete(id);
    },
    stop: async () => {
      monitor.destroy();
      marker.destroy();
    },
  };
}

/**
 * The refused takes the bucket's own state did not justify. After each grant the script stored the
 * tokens it left and the time, so the tokens at any later moment are known; a take must be granted
 * whenever the tokens it needs are there (one, plus the reserve for bulk). Each refusal is judged
 * at the latest moment before its script ran (it can only have seen more tokens than that). The
 * bucket starts full (a new one). None means: whoever asked got a token whenever one was due, so a
 * rate below the configured one is time in which no one asked (late wake-ups of the takers), not
 * the limiter.
 */
export function unjustifiedRefusals(attempts: readonly TakeAttempt[], ratePerSec: number, burst: number): number[] {
  const unjustified: number[] = [];
  let last: TakeAttempt['grant'];
  for (const attempt of attempts) {
    if (attempt.grant) {
      last = attempt.grant;
      continue;
    }
    if (Number.isNaN(attempt.before) || Number.isNaN(attempt.need))
      throw new Error('MONITOR reported a take after its script ran (another Redis version?): its refusals cannot be judged');
    // The tokens it needed were there (never more than `burst`: a cosmetic take may need more than
    // a bucket of 1 can ever hold, and is then rightly refused); 1e-9 for float rounding.
    const tokens = last ? Math.min(burst, last.left + ((attempt.before - last.at) * ratePerSec) / 1000) : burst;
    if (tokens >= attempt.need + 1e-9) unjustified.push(attempt.before);
  }
  return unjustified;
}

/** The most times in any window [t, t + windowMs) that starts at one of them. */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && (sorted[j] as number) < (sorted[i] as number) + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}
