/**
 * The two targets of `npm run bench:reply`, each one child process answering every text with
 * "count N" (N = the user's messages so far, kept in Redis) through the bench's fake Graph API:
 *   talkshop   `talkshop serve`, ROLE=all, Redis store, a one-node counter flow, sends unthrottled
 *   bottender  bench/bottender-app with BENCH_BOTTENDER_REPLY=1: the stock Bottender 1.5 server,
 *              Redis session store, an action that sets the state then awaits context.sendText
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnService } from '../tests/support/spawnService';
import { TEST_PAGE, TEST_SECRET } from '../tests/support/testEnv';
import { spawnReady, stopProcess, type ReadyProcess } from './processes';

/** The Page both targets and the fake (serviceRun's runBench) share. */
export const MESSENGER = {
  MESSENGER_PAGE_ID: TEST_PAGE,
  MESSENGER_ACCESS_TOKEN: 'test-access-token',
  MESSENGER_APP_ID: 'test-app',
  MESSENGER_APP_SECRET: TEST_SECRET,
  MESSENGER_VERIFY_TOKEN: 'test-verify-token',
} as const;

export interface ReplyTarget {
  readonly name: 'talkshop' | 'bottender';
  readonly port: number;
  readonly pid: number | undefined;
  /** Whether the process has exited (a crash mid-run: its figures would mean nothing). */
  exited(): boolean;
  stop(): Promise<void>;
}

export interface TargetOptions {
  readonly redisUrl: string;
  /** Every Redis key the target writes is under `prefix:`. */
  readonly prefix: string;
  /** The fake Graph API's base URL. */
  readonly graphUrl: string;
}

const REPO = resolve(__dirname, '..', '..');

/**
 * A temporary FLOWS_DIR with one flow: any text (the regex `.` trigger, tried before the
 * first-contact rule and the fallback) enters `count`, which increments the field and says so.
 */
export function counterFlowsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-reply-flows-'));
  writeFileSync(join(dir, 'settings.yaml'), 'default_flow: counter\n');
  writeFileSync(
    join(dir, 'counter.yaml'),
    `id: counter
start: count
triggers:
  - keyword: "."
    match: regex
    goto: count
fallback:
  text: "count ?"
  escalate_after: 3
nodes:
  count:
    actions:
      - increment: count
    say:
      - text: "count {{count}}"
    end: true
`,
  );
  return dir;
}

const running = (name: ReplyTarget['name'], p: ReadyProcess): ReplyTarget => ({
  name,
  port: p.port,
  pid: p.proc.pid,
  exited: () => p.proc.exitCode !== null || p.proc.signalCode !== null,
  stop: () => stopProcess(p.proc, p.exited()),
});

/** BENCH_PROFILE_DIR: the Talkshop process writes a --cpu-prof profile there (read it with `npm run bench:profile`). */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;

export async function startTalkshop(o: TargetOptions & { readonly flowsDir: string }): Promise<ReplyTarget> {
  const env = {
    ...MESSENGER,
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: o.prefix,
    ROLE: 'all',
    FLOWS_DIR: o.flowsDir,
    GRAPH_API_URL: o.graphUrl,
    // Unthrottled: the Page's send rate far above what this machine reaches, and no per-user
    // reply limit (with BENCH_MESSAGES above its burst of 10 it would drop replies on purpose).
    SEND_RATE_PER_SEC: '10000',
    SEND_BURST: '1000',
    USER_REPLIES_PER_MINUTE: '0',
    // Like the Bottender app (skipLegacyProfile): the counter flow never greets by name.
    USER_PROFILE_LOOKUP: 'false',
    ...(process.env.BENCH_PARTITIONS ? { INBOX_PARTITIONS: process.env.BENCH_PARTITIONS } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
  };
  // --cpu-prof is not allowed in NODE_OPTIONS, so a profiled run spawns `serve` itself.
  const svc = PROFILE_DIR
    ? await spawnReady(['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, join(REPO, 'dist', 'src', 'cli', 'main.js'), 'serve'], {
        env: { ...env, LOG_LEVEL: 'info' },
        readyMsg: 'talkshop ready',
      })
    : await spawnService(env);
  return running('talkshop', svc);
}

export async function startBottender(o: TargetOptions): Promise<ReplyTarget> {
  const dir = join(REPO, 'bench', 'bottender-app');
  const p = await spawnReady([join(dir, 'server.js')], {
    cwd: dir,
    readyMsg: 'bottender ready',
    env: {
      ...MESSENGER,
      REDIS_URL: o.redisUrl,
      BENCH_BOTTENDER_PREFIX: o.prefix,
      BENCH_BOTTENDER_REPLY: '1',
      BENCH_GRAPH_ORIGIN: o.graphUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
    },
  });
  return running('bottender', p);
}
