/**
 * `npm run bench:pages-scale` (issue #18): what one more Page costs a `talkshop serve` process.
 *
 * For each N in BENCH_PAGES (default 1,10,50) one process is started from the build with a
 * PAGES_FILE of N Pages (the environment's Page and N-1 others, all on one tiny shared flows
 * folder), on a private redis-server of this run (so CLIENT LIST and INFO commandstats see this
 * process alone, whatever else the machine runs). Per N it reports:
 *   start_ms           spawn → every Page started (the "serving several Pages" line; "talkshop ready" for one Page)
 *   rss_mb             the process's resident memory once ready and settled
 *   redis_connections  CLIENT LIST on the private Redis, minus this benchmark's own connection
 *   listeners          TCP sockets the process listens on (/proc: its fds matched to LISTEN sockets)
 *   idle_cpu_pct       the process's CPU over BENCH_IDLE_MS (default 10 s) with no traffic, % of one core
 *   idle_redis_cmds_per_s  commands Redis served in that window (INFO commandstats, this benchmark's own excluded)
 *   top_idle_commands  the five commands behind that figure
 * BENCH_BASE_ROOT=<another checkout, built> runs that build too, N by N after this one's, so a change
 * is compared with what it replaced in the same run (rows carry `build`: "this" or "base").
 * Prints one JSON line on stdout; progress goes to stderr. At defaults it runs in about 2 minutes.
 */
import { mkdtempSync, readdirSync, readlinkSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../tests/support/freePort';
import { startPrivateRedis, type PrivateRedis } from '../tests/support/privateRedis';
import { repoRoot } from '../tests/support/spawnService';
import { openRedis, processCpuSeconds, spawnReady, stopProcess, type Redis } from './processes';
import { greetingFlow } from '../tests/support/greetingFlow';

const ROOT = repoRoot(__dirname);
const cliOf = (root: string) => join(root, 'dist', 'src', 'cli', 'main.js');
const BUILDS: ReadonlyArray<{ readonly build: string; readonly cli: string }> = [
  { build: 'this', cli: cliOf(ROOT) },
  ...(process.env.BENCH_BASE_ROOT ? [{ build: 'base', cli: cliOf(process.env.BENCH_BASE_ROOT) }] : []),
];
const COUNTS = (process.env.BENCH_PAGES ?? '1,10,50')
  .split(',')
  .map((s) => Math.round(Number(s)))
  .filter((n) => n >= 1 && n <= 1000);
const IDLE_MS = Math.max(1_000, Number(process.env.BENCH_IDLE_MS ?? 10_000) || 10_000);
/** After ready: leases taken and pumps started before the idle window opens. */
const SETTLE_MS = 3_000;
const HOME_PAGE = '9100000000000000';
const log = (msg: string) => process.stderr.write(`[bench:pages-scale] ${msg}\n`);

/** A one-flow folder and a pages file listing N-1 Pages besides the environment's. */
function writePages(dir: string, n: number): string {
  const flows = join(dir, 'flows');
  mkdirSync(flows, { recursive: true });
  writeFileSync(join(flows, 'hello.yaml'), greetingFlow('hello', 'hi', 'Hello'));
  writeFileSync(join(flows, 'settings.yaml'), 'default_flow: hello\n');
  const lines = ['pages:', `  - id: "${HOME_PAGE}"`, '    flows: ./flows'];
  for (let i = 1; i < n; i++)
    lines.push(`  - id: "${BigInt(HOME_PAGE) + BigInt(i)}"`, '    token_env: BENCH_PAGE_TOKEN', '    flows: ./flows');
  const file = join(dir, 'pages.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The socket inodes a process holds (its fds that are sockets). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** TCP sockets of `pid` in LISTEN state (0A in /proc/net/tcp{,6}). */
function listeners(pid: number): number {
  const mine = socketInodes(pid);
  let count = 0;
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[9] !== undefined && mine.has(f[9])) count++;
    }
  }
  return count;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 102.4) / 10;
}

/** Calls per command since the last CONFIG RESETSTAT, from INFO commandstats. */
async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(m[1] as string, Number(m[2]));
  return calls;
}

/** This benchmark's own commands, not the service's. */
const OWN = new Set(['info', 'config|resetstat', 'client|list']);

interface Row {
  readonly build: string;
  readonly pages: number;
  readonly start_ms: number;
  readonly rss_mb: number;
  readonly redis_connections: number;
  readonly listeners: number;
  readonly idle_cpu_pct: number;
  readonly idle_redis_cmds_per_s: number;
  readonly top_idle_commands: Record<string, number>;
  readonly stop_ms: number;
}

async function measure(build: string, cli: string, n: number, redisUrl: string, redis: Redis): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-pages-scale-'));
  try {
    const env = {
      HOME: process.env.HOME ?? ROOT,
      DOTENV_CONFIG_PATH: join(ROOT, 'no-such-dotenv-file'),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `pages-scale-${build}-${n}`,
      PAGES_FILE: writePages(dir, n),
      FLOWS_DIR: join(dir, 'flows'),
      MESSENGER_PAGE_ID: HOME_PAGE,
      MESSENGER_ACCESS_TOKEN: 'bench-access-token',
      BENCH_PAGE_TOKEN: 'bench-other-page-token',
      MESSENGER_APP_ID: '1',
      MESSENGER_APP_SECRET: 'bench-app-secret',
      MESSENGER_VERIFY_TOKEN: 'bench-verify-token',
      GRAPH_API_URL: 'http://127.0.0.1:9', // nothing is sent while idle; never the real Meta
    };
    const t0 = performance.now();
    // Each Page's service logs "talkshop ready"; the process is up once the last, the environment's, has.
    const readyMsg = n > 1 ? 'serving several Pages' : 'talkshop ready';
    const service = await spawnReady([cli, 'serve'], { env, readyMsg, cwd: ROOT, timeoutMs: 170_000 });
    const startMs = performance.now() - t0;
    const pid = service.proc.pid as number;
    try {
      await sleep(SETTLE_MS);
      const clients = String(await redis.sendCommand(['CLIENT', 'LIST']))
        .split('\n')
        .filter((l) => l.trim() !== '').length;
      const row = { rss: rssMb(pid), listening: listeners(pid) };
      await redis.sendCommand(['CONFIG', 'RESETSTAT']);
      const cpu0 = processCpuSeconds(pid);
      const w0 = performance.now();
      await sleep(IDLE_MS);
      const cpu1 = processCpuSeconds(pid);
      const calls = await commandCalls(redis);
      const seconds = (performance.now() - w0) / 1000;
      const theirs = [...calls].filter(([c]) => !OWN.has(c)).sort((a, b) => b[1] - a[1]);
      const total = theirs.reduce((s, [, c]) => s + c, 0);
      if (service.proc.exitCode !== null || service.proc.signalCode !== null)
        throw new Error(`${n} Pages: the service exited during the idle window: ${JSON.stringify(service.logs.slice(-3))}`);
      const s0 = performance.now();
      await stopProcess(service.proc, service.exited(), 30_000);
      return {
        build,
        pages: n,
        start_ms: Math.round(startMs),
        rss_mb: row.rss,
        redis_connections: clients - 1,
        listeners: row.listening,
        idle_cpu_pct: Math.round(((cpu1 - cpu0) / seconds) * 1000) / 10,
        idle_redis_cmds_per_s: Math.round(total / seconds),
        top_idle_commands: Object.fromEntries(theirs.slice(0, 5).map(([c, k]) => [c, Math.round(k / seconds)])),
        stop_ms: Math.round(performance.now() - s0),
      };
    } finally {
      if (service.proc.exitCode === null && service.proc.signalCode === null) service.proc.kill('SIGKILL');
      await service.exited();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-pages-scale-redis-'));
  let server: PrivateRedis | undefined;
  let redis: Redis | undefined;
  try {
    server = await startPrivateRedis(await freePort(), { dir });
    redis = await openRedis(server.url);
    const rows: Row[] = [];
    for (const n of COUNTS)
      for (const { build, cli } of BUILDS) {
        log(`${n} Pages (${build})…`);
        const row = await measure(build, cli, n, server.url, redis);
        log(JSON.stringify(row));
        rows.push(row);
      }
    const load = loadavg().map((l) => Math.round(l * 10) / 10);
    process.stdout.write(`${JSON.stringify({ bench: 'pages-scale', idle_ms: IDLE_MS, cpus: cpus().length, load, rows })}\n`);
  } finally {
    await redis?.quit().catch(() => undefined);
    await server?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
