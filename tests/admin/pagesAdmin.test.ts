/**
 * The admin API of several Pages (#18 item 2): one admin listener, the environment's Page A on the
 * un-prefixed routes and every Page (B here) under /admin/pages/<pageId>/, each on its own store,
 * with the same tokens, roles and audit log (the audit line names the Page).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import { loadConfig } from '../../src/config/config';
import { loadPagesConfig } from '../../src/config/pagesConfig';
import { startPagesService, type PagesService } from '../../src/pagesService';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { deletePrefix } from '../support/redisKeys';
import { testEnv } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';

const A = '1000000000000011';
const B = '2000000000000022';
const AGENT = 'agent-token-0123456789abcdef';
const MARKETER = 'marketer-token-0123456789ab';
const OPERATOR = 'operator-token-0123456789ab';
const ON_A = 'psid-on-a';
const ON_B = 'psid-on-b';
/** Two customers on A, one on B: so each Page's audience count is its own. */
const CUSTOMERS = [
  [A, ON_A],
  [B, ON_B],
  [A, 'psid-also-on-a'],
] as const;

const logLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
let dir: string;
let service: PagesService;
let prefix: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'talkshop-pages-admin-'));
  const flows = resolve(__dirname, '..', '..', 'flows');
  writeFileSync(
    join(dir, 'pages.yaml'),
    `pages:\n  - id: "${B}"\n    token_env: PAGE_B_TOKEN\n    flows: ${JSON.stringify(flows)}\n`,
  );
  env = testEnv({
    MESSENGER_PAGE_ID: A,
    FLOWS_DIR: flows,
    PAGES_FILE: join(dir, 'pages.yaml'),
    PAGE_B_TOKEN: 'token-of-page-b',
    USER_PROFILE_LOOKUP: 'false',
    ADMIN_TOKENS: `anna:agent:${AGENT},mark:marketer:${MARKETER},olga:operator:${OPERATOR}`,
    ADMIN_PORT: '0',
  });
  const config = loadConfig(env);
  prefix = config.REDIS_KEY_PREFIX;
  service = await startPagesService(config, loadPagesConfig(config, env), { logger: pino({ level: 'info' }, sink) });
  // One customer on each Page, applied by that Page's worker.
  for (const [page, psid] of CUSTOMERS) {
    const body = textMessageBody(page, psid, 'hi', Date.now(), `m_admin_${psid}`);
    expect((await postSigned(service.main.port, body)).status).toBe(200);
  }
  const store = (page: string) => (page === A ? service.main.store : service.pages.get(page)?.store);
  for (const [page, psid] of CUSTOMERS)
    await waitFor(`the message of ${psid} applied`, async () => {
      const at = { partition: partitionOf(page, psid, 16), userKey: userKeyOf(page, psid) };
      return ((await store(page)?.states.load(at.partition, at.userKey))?.version ?? 0) > 0 ? true : undefined;
    });
});
afterAll(async () => {
  try {
    await service?.stop();
  } finally {
    await deletePrefix(prefix); // B's keys are under <prefix>:<B>
    rmSync(dir, { recursive: true, force: true });
  }
});

async function admin(
  path: string,
  token: string,
  method = 'GET',
  on: PagesService = service,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${on.main.adminPort ?? 0}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it("serves Page B's customers under /admin/pages/B/, and only there", async () => {
  expect(await admin(`/pages/${B}/users/${ON_B}`, MARKETER)).toMatchObject({ status: 200, body: { psid: ON_B } });
  expect((await admin(`/users/${ON_B}`, MARKETER)).status).toBe(404);
  // And A's customer is A's: on the un-prefixed routes, or under A's own id, never under B.
  expect(await admin(`/users/${ON_A}`, MARKETER)).toMatchObject({ status: 200, body: { psid: ON_A } });
  expect(await admin(`/pages/${A}/users/${ON_A}`, MARKETER)).toMatchObject({ status: 200, body: { psid: ON_A } });
  expect((await admin(`/pages/${B}/users/${ON_A}`, MARKETER)).status).toBe(404);

  const audit = logLines.filter((l) => l.audit === true && l.action === 'readUser' && l.psid === ON_B);
  expect(audit.map((l) => [l.pageId, l.status])).toEqual([
    [B, 200],
    [A, 404],
  ]);
});

it("counts Page B's audience from B's store", async () => {
  const onB = await admin(`/pages/${B}/audience/count`, MARKETER);
  expect(onB).toMatchObject({ status: 200, body: { count: 1 } });
  expect(await admin('/audience/count', MARKETER)).toMatchObject({ status: 200, body: { count: 2 } });
  expect(await admin(`/pages/${A}/audience/count`, MARKETER)).toMatchObject({ status: 200, body: { count: 2 } });
  expect(await admin(`/pages/${B}/threads?state=paused`, AGENT)).toMatchObject({ status: 200, body: { count: 0 } });
});

it('answers 404 naming an unknown Page and how to add it, 400 for a path that is no Page id', async () => {
  const unknown = await admin('/pages/3000000000000033/users/someone', MARKETER);
  expect(unknown.status).toBe(404);
  expect(unknown.body).toMatchObject({ error: 'unknown_page', page: '3000000000000033' });
  expect(String(unknown.body.message)).toContain('PAGES_FILE');
  expect(String(unknown.body.message)).toContain('docs/pages.md');
  expect(await admin('/pages/not-a-page/users/someone', MARKETER)).toMatchObject({ status: 400, body: { field: 'pageId' } });
  // Without a token nothing is said about which Pages exist.
  expect((await admin('/pages/3000000000000033/users/someone', 'wrong-token-0123456789abcd')).status).toBe(401);
});

it("keeps the roles on Page B: an agent cannot erase or export B's customers, an operator can export", async () => {
  expect(await admin(`/pages/${B}/users/${ON_B}`, AGENT, 'DELETE')).toMatchObject({
    status: 403,
    body: { error: 'forbidden' },
  });
  expect((await admin(`/pages/${B}/users/${ON_B}/export`, AGENT)).status).toBe(403);
  expect((await admin(`/pages/${B}/audience/count`, AGENT)).status).toBe(403);
  expect(await admin(`/pages/${B}/users/${ON_B}/export`, OPERATOR)).toMatchObject({ status: 200, body: { psid: ON_B } });
  const refused = logLines.filter((l) => l.audit === true && l.action === 'forgetUser');
  expect(refused.map((l) => [l.pageId, l.token, l.status])).toEqual([[B, 'anna', 403]]);
});

it("with ROLE=web serves Page B's store routes too (its flows are loaded only where a worker runs)", async () => {
  const config = loadConfig({ ...env, ROLE: 'web' });
  const web = await startPagesService(config, loadPagesConfig(config, env), { logger: pino({ level: 'silent' }) });
  try {
    expect(await admin(`/pages/${B}/users/${ON_B}`, MARKETER, 'GET', web)).toMatchObject({
      status: 200,
      body: { psid: ON_B },
    });
    expect(await admin(`/pages/${B}/audience/count`, MARKETER, 'GET', web)).toMatchObject({ status: 200, body: { count: 1 } });
    expect((await admin(`/pages/${B}/sequences`, MARKETER, 'GET', web)).status).toBe(501);
  } finally {
    await web.stop();
  }
});
