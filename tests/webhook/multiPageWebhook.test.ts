import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { textMessageBody } from '../../src/cli/sendEvent';
import { createMetrics } from '../../src/metrics';
import type { InboxStore, OwnedStore } from '../../src/store/ports';
import { createRedisStore } from '../../src/store/redis/redisStore';
import { createWebhookHandler } from '../../src/webhook/webhookHandler';
import { verifySignature } from '../../src/webhook/verifySignature';
import { deletePrefix } from '../support/redisKeys';
import { TEST_REDIS_URL, TEST_SECRET, uniquePrefix } from '../support/testEnv';
import { postSigned } from '../support/webhookClient';

/** Several Pages behind one webhook (#18 item 2): each Page's events land in its own inbox (its key prefix). */
const PARTITIONS = 4;
const HOME = '1000000000000001';
const OTHER = '2000000000000002';
const FOREIGN = '9000000000000009';
/** A Page of a second app (PAGES_FILE apps:), whose webhooks that app's secret signs. */
const SECOND = '3000000000000003';
const SECOND_SECRET = 'second-app-secret';
const prefixes = [uniquePrefix('pages-home'), uniquePrefix('pages-other'), uniquePrefix('pages-second')];
const logger = pino({ level: 'silent' });
let stores: OwnedStore[];
let server: Server;
let port: number;
const metrics = createMetrics();
/** The secrets the handler computed an HMAC with, in order (its signature check, counted). */
const hmacs: string[] = [];

const open = (keyPrefix: string) =>
  createRedisStore({ url: TEST_REDIS_URL, keyPrefix, dedupeTtlSeconds: 3600, timeoutMs: 5_000, logger });

beforeAll(async () => {
  stores = await Promise.all(prefixes.map(open));
  const [home, other, second] = stores as [OwnedStore, OwnedStore, OwnedStore];
  const handler = createWebhookHandler({
    appSecret: TEST_SECRET,
    verifyToken: 'verify',
    partitions: PARTITIONS,
    bodyLimitBytes: 1 << 20,
    pageId: HOME,
    maxEvents: 100,
    dedupeTtlSeconds: 3600,
    inbox: home.inbox,
    pages: new Map([
      [OTHER, other.inbox],
      [SECOND, second.inbox],
    ]),
    apps: [{ secret: SECOND_SECRET, pageIds: [SECOND] }],
    verify: (raw, header, secret) => {
      hmacs.push(secret);
      return verifySignature(raw, header, secret);
    },
    metrics,
    logger,
    now: Date.now,
  });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await Promise.all(stores.map((s) => s.close()));
  await Promise.all(prefixes.map((p) => deletePrefix(p)));
});

/** Every item in an inbox, as "<pageId> <userId>". */
async function itemsOf(inbox: InboxStore): Promise<string[]> {
  const after = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, '0-0'] as const));
  const read = await inbox.readNew(after, 100, 0);
  return read.flatMap((r) => (r.type === 'item' ? [`${r.record.event.pageId} ${r.record.event.userId}`] : [])).sort();
}

/** One body with an entry per Page, as Meta batches them for an app subscribed to several. */
function batch(mid: string): string {
  const entries = [HOME, OTHER, FOREIGN].map((page) => {
    const one = JSON.parse(textMessageBody(page, `user-of-${page}`, 'hi', Date.now(), `${mid}-${page}`)) as { entry: unknown[] };
    return one.entry[0];
  });
  return JSON.stringify({ object: 'page', entry: entries });
}

const metricLine = async (start: string) => (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(start));

it("routes each entry to its Page's inbox; a Page not served is ignored and counted by page", async () => {
  expect(await postSigned(port, batch('m1'))).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
  const [home, other] = stores as [OwnedStore, OwnedStore];
  expect(await itemsOf(home.inbox)).toEqual([`${HOME} user-of-${HOME}`]);
  expect(await itemsOf(other.inbox)).toEqual([`${OTHER} user-of-${OTHER}`]);
  expect(await metricLine(`talkshop_webhook_events_other_page_total{page="${FOREIGN}"}`)).toMatch(/ 1$/);
  expect(await metricLine('talkshop_webhook_events_ignored_total{reason="other_page"}')).toMatch(/ 1$/);
  for (const page of [HOME, OTHER])
    expect(await metricLine(`talkshop_webhook_events_received_total{kind="message",channel="messaging",page="${page}"}`)).toMatch(
      / 1$/,
    );
  // A redelivery is a duplicate in each Page's own inbox.
  expect((await postSigned(port, batch('m1'))).status).toBe(200);
  expect(await itemsOf(home.inbox)).toHaveLength(1);
  expect(await itemsOf(other.inbox)).toHaveLength(1);
  expect(await metricLine('talkshop_webhook_events_deduped_total')).toMatch(/ 2$/);
});

const to = (page: string, mid: string) => textMessageBody(page, `user-of-${page}`, 'hi', Date.now(), mid);
const rejected = async (reason: string) =>
  Number((await metricLine(`talkshop_webhook_requests_rejected_total{reason="${reason}"}`))?.split(' ')[1] ?? 0);

it("a body is checked with one secret, its Pages' app's, and believed for that app's Pages only", async () => {
  const second = (stores as OwnedStore[])[2] as OwnedStore;
  const home = (stores as OwnedStore[])[0] as OwnedStore;
  hmacs.length = 0;
  expect((await postSigned(port, to(SECOND, 's1'), undefined, SECOND_SECRET)).status).toBe(200);
  expect(await itemsOf(second.inbox)).toEqual([`${SECOND} user-of-${SECOND}`]);
  expect(hmacs).toEqual([SECOND_SECRET]);
  // A Page under another app's signature than its own: refused (its own app's secret alone is tried).
  hmacs.length = 0;
  expect((await postSigned(port, to(SECOND, 's2'))).status).toBe(403);
  expect((await postSigned(port, to(HOME, 's3'), undefined, SECOND_SECRET)).status).toBe(403);
  expect(hmacs).toEqual([SECOND_SECRET, TEST_SECRET]);
  expect(await itemsOf(second.inbox)).toHaveLength(1);
  expect(await itemsOf(home.inbox)).toEqual([`${HOME} user-of-${HOME}`]);
  // Signed by neither app: refused.
  expect((await postSigned(port, to(SECOND, 's4'), undefined, 'not-a-secret-we-know')).status).toBe(403);
});

it('a forged body costs exactly one HMAC, whichever Pages it names', async () => {
  const forged = [
    to(SECOND, 'f1'),
    to(HOME, 'f2'),
    to(FOREIGN, 'f3'),
    batch('f4'),
    '{"object":"page","entry":[{"id":7}]}',
    'not json',
  ];
  for (const body of forged) {
    hmacs.length = 0;
    const before = await rejected('bad_signature');
    expect((await postSigned(port, body, undefined, 'a-forger-s-secret')).status).toBe(403);
    expect(hmacs).toHaveLength(1);
    expect(await rejected('bad_signature')).toBe(before + 1);
  }
  // Pages of no other app (or none served): the default app's secret, as a one-app deployment checks.
  hmacs.length = 0;
  expect((await postSigned(port, to(FOREIGN, 'f5'))).status).toBe(200);
  expect(hmacs).toEqual([TEST_SECRET]);
});

it("a body whose entries name Pages of two apps is refused before any HMAC (one delivery is one app's)", async () => {
  const mixed = JSON.stringify({
    object: 'page',
    entry: [HOME, SECOND].map((page) => (JSON.parse(to(page, `x-${page}`)) as { entry: unknown[] }).entry[0]),
  });
  const second = (stores as OwnedStore[])[2] as OwnedStore;
  const before = await rejected('several_apps');
  hmacs.length = 0;
  for (const secret of [TEST_SECRET, SECOND_SECRET]) expect((await postSigned(port, mixed, undefined, secret)).status).toBe(403);
  expect(hmacs).toEqual([]);
  expect(await rejected('several_apps')).toBe(before + 2);
  expect(await itemsOf(second.inbox)).toHaveLength(1);
});
