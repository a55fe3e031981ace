import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';

export interface BucketGrants {
  /** Server-clock times (ms) of the grants seen so far, in the order Redis ran them. */
  readonly times: number[];
  /** Resolves once every command Redis ran before this call has reached `times`. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The grants of one token bucket, timed by the limiter itself. A granted take is the only call of
 * src/store/redis/lua/rateLimit.lua that writes `HSET <bucket> t <tokens> at <now> p 0`, `now`
 * being the Redis server's clock at the grant; MONITOR shows the commands scripts run, so the
 * times are read from there. Timing grants anywhere later (in a client after the reply, or at the
 * Graph API after a typing indicator and an HTTP hop) adds each process's scheduling delay, which
 * on a busy machine bunches grants together in a way the limiter never allowed.
 */
export async function watchGrants(url: string, bucketKey: string): Promise<BucketGrants> {
  const monitor = createClient({ url });
  const marker = createClient({ url });
  await Promise.all([monitor.connect(), marker.connect()]);
  const times: number[] = [];
  const markers = new Map<string, () => void>();
  const write = `"HSET" "${bucketKey}" "t" `;
  await monitor.monitor((line: string) => {
    const at = line.indexOf(write);
    if (at >= 0) {
      const grant = /^"[^"]*" "at" "([^"]+)" "p" "0"$/.exec(line.slice(at + write.length));
      if (grant) times.push(Number(grant[1]));
      return;
    }
    for (const [id, seen] of markers) if (line.includes(id)) seen();
  });
  return {
    times,
    // MONITOR reports commands in the order Redis ran them: once a marker sent now comes back,
    // every grant before it has been counted.
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
