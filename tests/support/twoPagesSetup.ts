/**
 * Two Pages in one process (#18 item 2), for tests/pages/: PAGES_FILE adds Page B (its own flows
 * folder, settings, token and second app) beside the environment's Page A (the demo shop's flows),
 * on real Redis under a unique key prefix (B's is under A's). B's flows answer "hi" and hand over
 * on "person".
 *
 * The fake Graph API serves one Page, so each Page has a fake of its own behind a small proxy that
 * forwards a call by its bearer token: a call made with the wrong Page's token would reach the
 * other fake, which records it (and its PSID) as a call it should not get; each fake checks the
 * token and the appsecret_proof of its Page's app.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config';
import { loadPagesConfig } from '../../src/config/pagesConfig';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startPagesService, type PagesService } from '../../src/pagesService';
import { deletePrefix } from './redisKeys';
import { TEST_SECRET, testEnv } from './testEnv';
import { postSigned, type HttpResult } from './webhookClient';
import { greetingFlow } from './greetingFlow';
import { startGraphProxy } from './graphProxy';

export const PAGE_A = '1000000000000001';
export const PAGE_B = '2000000000000002';
export type TwoPageId = typeof PAGE_A | typeof PAGE_B;
export const TOKENS: Readonly<Record<TwoPageId, string>> = { [PAGE_A]: 'token-of-page-a', [PAGE_B]: 'token-of-page-b' };
/** B is on a second app (PAGES_FILE apps:): its webhooks are signed, and its appsecret_proof made, with that app's secret. */
export const SECRETS: Readonly<Record<TwoPageId, string>> = { [PAGE_A]: TEST_SECRET, [PAGE_B]: 'second-app-secret' };
/** Each Page's app id: A's is MESSENGER_APP_ID (testEnv), B's the second app's in pages.yaml. */
export const APP_IDS: Readonly<Record<TwoPageId, string>> = { [PAGE_A]: 'test-app', [PAGE_B]: '55' };
export const B_HELLO = 'Shop B here, your automated assistant';
export const B_HANDOVER = 'Shop B: a person will answer you here';

export interface TwoPages {
  readonly service: PagesService;
  readonly fakes: Readonly<Record<TwoPageId, FakeGraphApi>>;
  /** The environment's Redis key prefix (B's is under it). */
  readonly prefix: string;
  /** Posts a webhook body for a Page, signed by that Page's app. */
  post(page: TwoPageId, body: string): Promise<HttpResult>;
  /** The texts a Page's fake Graph API took for one PSID, in order. */
  textsTo(page: TwoPageId, psid: string): string[];
  stop(): Promise<void>;
}

/** The files of Page B (flows and settings) and the pages file, in a fresh folder. */
function writePagesFiles(dir: string): void {
  mkdirSync(join(dir, 'flows-b'));
  const flow = (lines: string[]) => `${lines.join('\n')}\n`;
  writeFileSync(join(dir, 'flows-b', 'b.yaml'), greetingFlow('b_main', 'hello', B_HELLO));
  writeFileSync(
    join(dir, 'flows-b', 'b_person.yaml'),
    flow([
      'id: b_person',
      'start: person',
      'triggers:',
      '  - keyword: [person]',
      'nodes:',
      '  person:',
      '    handover:',
      `      message: "${B_HANDOVER}"`,
    ]),
  );
  // The folder's own settings name a flow that does not exist: B starts only if its own settings replace them.
  writeFileSync(join(dir, 'flows-b', 'settings.yaml'), 'default_flow: nowhere\n');
  writeFileSync(join(dir, 'settings-b.yaml'), 'default_flow: b_main\n');
  writeFileSync(
    join(dir, 'pages.yaml'),
    flow([
      'apps:',
      `  second: { id: "${APP_IDS[PAGE_B]}", secret_env: SECOND_APP_SECRET }`,
      'pages:',
      `  - id: "${PAGE_B}"`,
      '    token_env: PAGE_B_TOKEN',
      '    app: second',
      '    flows: flows-b',
      '    settings: settings-b.yaml',
    ]),
  );
}

/** Starts both Pages' fakes, the proxy and the service (`env` overrides the environment). */
export async function startTwoPages(env: Record<string, string> = {}): Promise<TwoPages> {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-two-pages-'));
  writePagesFiles(dir);
  const fakes: Record<TwoPageId, FakeGraphApi> = {
    [PAGE_A]: await startFakeGraphApi({
      appSecret: SECRETS[PAGE_A],
      accessToken: TOKENS[PAGE_A],
      pageId: PAGE_A,
      appId: APP_IDS[PAGE_A],
    }),
    [PAGE_B]: await startFakeGraphApi({
      appSecret: SECRETS[PAGE_B],
      accessToken: TOKENS[PAGE_B],
      pageId: PAGE_B,
      appId: APP_IDS[PAGE_B],
    }),
  };
  // Each call goes to the fake of the Page whose token it carries (B's fake otherwise).
  const proxy = await startGraphProxy((token) => (token === TOKENS[PAGE_A] ? fakes[PAGE_A] : fakes[PAGE_B]).url);
  const vars = testEnv({
    MESSENGER_PAGE_ID: PAGE_A,
    MESSENGER_ACCESS_TOKEN: TOKENS[PAGE_A],
    MESSENGER_APP_ID: APP_IDS[PAGE_A],
    FLOWS_DIR: 'flows',
    GRAPH_API_URL: proxy.url,
    PAGES_FILE: join(dir, 'pages.yaml'),
    PAGE_B_TOKEN: TOKENS[PAGE_B],
    SECOND_APP_SECRET: SECRETS[PAGE_B],
    USER_PROFILE_LOOKUP: 'false',
    ...env,
  });
  const config = loadConfig(vars);
  const stopOthers = async () => {
    await proxy.close();
    await Promise.all(Object.values(fakes).map((f) => f.stop()));
    await deletePrefix(config.REDIS_KEY_PREFIX); // B's prefix is <prefix>:<B>, under it
    rmSync(dir, { recursive: true, force: true });
  };
  let service: PagesService;
  try {
    service = await startPagesService(config, loadPagesConfig(config, vars));
  } catch (err) {
    await stopOthers();
    throw err;
  }
  return {
    service,
    fakes,
    prefix: config.REDIS_KEY_PREFIX,
    post: (page, body) => postSigned(service.main.port, body, undefined, SECRETS[page]),
    textsTo: (page, psid) =>
      fakes[page].calls
        .filter((c) => c.endpoint === 'messages' && c.recipientId === psid)
        .map((c) => (c.body as { message?: { text?: string } }).message?.text)
        .filter((t): t is string => t !== undefined),
    stop: async () => {
      try {
        await service.stop();
      } finally {
        await stopOthers();
      }
    },
  };
}
