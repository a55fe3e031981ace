import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../tests/support/spawnService';
import { TEST_SECRET, testEnv } from '../tests/support/testEnv';
import { greetingFlow } from '../tests/support/greetingFlow';

/** Page A is the environment's (the shipped shop flows); B is listed in the pages file with flows of its own. */
export const PAGE_A = '1000000000000001';
export const PAGE_B = '2000000000000002';
export const TOKENS = { a: 'bench-token-of-page-a', b: 'bench-token-of-page-b' } as const;
export const APP_SECRET = TEST_SECRET;

/** A folder with Page B's flows and a pages file serving A (its send bucket `aRatePerSec`) and B (its defaults). */
export interface PagesFiles {
  readonly pagesFile: string;
  remove(): void;
}

/**
 * B's flow answers any text with one message, so a reply maps to the text it answers; A keeps the
 * shipped flows ("hello" from a new user: the welcome, then the menu). A is listed only to give it
 * a small send bucket; it keeps REDIS_KEY_PREFIX, and B's keys are under `<prefix>:<B>`.
 */
export function writePagesFiles(aRatePerSec: number): PagesFiles {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-bench-pages-'));
  mkdirSync(join(dir, 'flows-b'));
  writeFileSync(join(dir, 'flows-b', 'b.yaml'), greetingFlow('b_main', 'hello', 'Shop B here, your automated assistant'));
  writeFileSync(join(dir, 'flows-b', 'settings.yaml'), 'default_flow: b_main\n');
  const pagesFile = join(dir, 'pages.yaml');
  writeFileSync(
    pagesFile,
    [
      'pages:',
      `  - id: "${PAGE_A}"`,
      `    flows: ${JSON.stringify(join(repoRoot(__dirname), 'flows'))}`,
      `    send_rate_per_sec: ${aRatePerSec}`,
      `  - id: "${PAGE_B}"`,
      '    token_env: PAGE_B_TOKEN',
      '    flows: flows-b',
      '',
    ].join('\n'),
  );
  return { pagesFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The service's environment: one ROLE=all process serving both Pages through the token proxy. */
export function pagesServiceEnv(o: {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly graphUrl: string;
  readonly pagesFile: string;
  readonly partitions: string | undefined;
}): Record<string, string | undefined> {
  return testEnv({
    ROLE: 'all',
    REDIS_URL: o.redisUrl,
    REDIS_KEY_PREFIX: o.prefix,
    INBOX_PARTITIONS: o.partitions, // undefined: the service's default
    MESSENGER_PAGE_ID: PAGE_A,
    MESSENGER_ACCESS_TOKEN: TOKENS.a,
    MESSENGER_APP_SECRET: APP_SECRET,
    FLOWS_DIR: join(repoRoot(__dirname), 'flows'),
    GRAPH_API_URL: o.graphUrl,
    PAGES_FILE: o.pagesFile,
    PAGE_B_TOKEN: TOKENS.b,
    // Neither flow greets by name: a profile lookup per new user would only add calls to count.
    USER_PROFILE_LOOKUP: 'false',
    LOG_LEVEL: 'warn',
  });
}
