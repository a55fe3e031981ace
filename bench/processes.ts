import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createClient } from 'redis';

export { spawnReady, type ReadyProcess } from '../tests/support/spawnReady';

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopProcess(proc: ChildProcess, exited: Promise<number | null>, graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after "(comm) ": indexes 11, 12.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds all CPUs of the machine spent busy so far (everything but idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const [user, nice, system, , , irq, softirq, steal] = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
  } catch {
    return 0;
  }
}

export type Redis = ReturnType<typeof createClient>;

export async function openRedis(url: string): Promise<Redis> {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Deletes every key under `prefix:` (never a flush: the Redis is shared). Returns the count. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 })) {
    if (keys.length > 0) deleted += await redis.unlink(keys);
  }
  return deleted;
}

/** Every value of keys matching `pattern`, read in batches. */
export async function readMatching(
  redis: Redis,
  pattern: string,
  read: (keys: string[]) => Promise<unknown[]>,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const keys of redis.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
    if (keys.length > 0) out.push(...(await read(keys)));
  }
  return out;
}

/** Redis's own CPU seconds (user + sys), from INFO cpu. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

/** The commit measured, marked -dirty when the working tree had uncommitted changes. */
export function benchCommit(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
