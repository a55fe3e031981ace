/**
 * Two Pages in one process (#18 item 2): PAGES_FILE adds Page B (its own flows folder, settings,
 * token and app) beside the environment's Page A (the demo shop's flows). Each gets a signed
 * message; each Page answers from its own flows, and every Graph call carries that Page's
 * token and appsecret_proof. The fake Graph API serves one Page, so each Page has a fake of its own
 * behind a small proxy that forwards a call by its bearer token: a call made with the wrong Page's
 * token would reach the other fake, which records it (and its PSID) as a call it should not get.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { textMessageBody } from '../../src/cli/sendEvent';
import { loadConfig } from '../../src/config/config';
import { loadPagesConfig } from '../../src/config/pagesConfig';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { startPagesService, type PagesService } from '../../src/pagesService';
import { deletePrefix } from '../support/redisKeys';
import { TEST_SECRET, testEnv } from '../support/testEnv';
import { get, postSigned, waitFor } from '../support/webhookClient';

const A = '1000000000000001';
const B = '2000000000000002';
const TOKENS = { [A]: 'token-of-page-a', [B]: 'token-of-page-b' } as const;
/** B is on a second app (PAGES_FILE apps:): its webhooks are signed, and its appsecret_proof made, with that app's secret. */
const SECRETS = { [A]: TEST_SECRET, [B]: 'second-app-secret' } as const;

let dir: string;
let fakes: Record<string, FakeGraphApi>;
let proxy: Server;
let service: PagesService;
let prefix: string;

/** Forwards each Graph call to the fake of the Page whose token it carries (B's fake otherwise). */
function startProxy(): Promise<string> {
  proxy = createServer((req, res) => {
    const fake = req.headers.authorization === `Bearer ${TOKENS[A]}` ? fakes[A] : fakes[B];
    const target = new URL(req.url ?? '/', fake?.url);
    const out = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) =>
    proxy.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`)),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'talkshop-two-pages-'));
  mkdirSync(join(dir, 'flows-b'));
  writeFileSync(
    join(dir, 'flows-b', 'b.yaml'),
    [
      'id: b_main',
      'start: hello',
      'triggers:',
      '  - keyword: [hi]',
      'nodes:',
      '  hello:',
      '    say:',
      '      - text: "Shop B here, your automated assistant"',
      '    end: true',
      '',
    ].join('\n'),
  );
  // The folder's own settings name a flow that does not exist: B starts only if its own settings replace them.
  writeFileSync(join(dir, 'flows-b', 'settings.yaml'), 'default_flow: nowhere\n');
  writeFileSync(join(dir, 'settings-b.yaml'), 'default_flow: b_main\n');
  writeFileSync(
    join(dir, 'pages.yaml'),
    [
      'apps:',
      '  second: { id: "55", secret_env: SECOND_APP_SECRET }',
      'pages:',
      `  - id: "${B}"`,
      '    token_env: PAGE_B_TOKEN',
      '    app: second',
      '    flows: flows-b',
      '    settings: settings-b.yaml',
      '',
    ].join('\n'),
  );
  fakes = {};
  for (const page of [A, B])
    fakes[page] = await startFakeGraphApi({
      appSecret: SECRETS[page as keyof typeof SECRETS],
      accessToken: TOKENS[page as keyof typeof TOKENS],
      pageId: page,
    });
  const env = testEnv({
    MESSENGER_PAGE_ID: A,
    MESSENGER_ACCESS_TOKEN: TOKENS[A],
    FLOWS_DIR: 'flows',
    GRAPH_API_URL: await startProxy(),
    PAGES_FILE: join(dir, 'pages.yaml'),
    PAGE_B_TOKEN: TOKENS[B],
    SECOND_APP_SECRET: SECRETS[B],
    USER_PROFILE_LOOKUP: 'false',
  });
  const config = loadConfig(env);
  prefix = config.REDIS_KEY_PREFIX;
  service = await startPagesService(config, loadPagesConfig(config, env));
});
afterAll(async () => {
  try {
    await service?.stop();
    await new Promise((resolve) => proxy.close(resolve));
    await Promise.all(Object.values(fakes).map((f) => f.stop()));
  } finally {
    await deletePrefix(prefix); // B's prefix is <prefix>:<B>, under it
    rmSync(dir, { recursive: true, force: true });
  }
});

const textsTo = (page: string, psid: string) =>
  (fakes[page]?.calls ?? [])
    .filter((c) => c.endpoint === 'messages' && c.recipientId === psid)
    .map((c) => (c.body as { message?: { text?: string } }).message?.text)
    .filter((t): t is string => t !== undefined);

it('each Page answers its own customer from its own flows, with its own token and appsecret_proof', async () => {
  // Each app signs the webhooks of its own Pages; one batch body of both would be signed by one app only.
  for (const page of [A, B]) {
    const body = textMessageBody(page, `psid-${page}`, 'hi', Date.now(), `m_two_${page}`);
    const secret = SECRETS[page as keyof typeof SECRETS];
    expect(await postSigned(service.main.port, body, undefined, secret)).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
  }
  // Page B's event under the environment app's signature is refused: only B's app's secret is tried.
  const forged = textMessageBody(B, `psid-${B}`, 'menu', Date.now(), 'm_forged');
  expect((await postSigned(service.main.port, forged)).status).toBe(403);
  await waitFor("each Page's answer", () =>
    textsTo(A, `psid-${A}`).length > 0 && textsTo(B, `psid-${B}`).length > 0 ? true : undefined,
  );
  expect(textsTo(B, `psid-${B}`).join('\n')).toContain('Shop B here, your automated assistant');
  expect(textsTo(A, `psid-${A}`).join('\n')).toContain('Northwind Outfitters');
  expect(textsTo(B, `psid-${B}`).join('\n')).not.toContain('Northwind');
  // Every call reached the fake of its own Page's token, which checked the token and the proof.
  for (const page of [A, B]) {
    const calls = fakes[page]?.calls ?? [];
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.status !== 200)).toEqual([]);
    expect(calls.filter((c) => c.recipientId !== undefined && c.recipientId !== `psid-${page}`)).toEqual([]);
  }
  expect(service.pages.get(B)?.store).toBeDefined();
  const metrics = (await get(service.main.port, '/metrics')).body;
  expect(metrics).toContain('talkshop_webhook_requests_rejected_total{reason="bad_signature"} 1');
});
