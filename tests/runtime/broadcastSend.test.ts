import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BroadcastControl } from '../../src/broadcasts/broadcastControl';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { loadFlows } from '../../src/flows/loadFlows';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { BroadcastStore } from '../../src/store/ports';
import { startService, type RunningService } from '../../src/server';
import { createClient, type RedisClientType } from 'redis';
import type { Config } from '../../src/config/config';
import { enqueueForget } from '../../src/admin/userRecord';
import { createGraphClient, graphClientOptions } from '../../src/messenger/graphClient';
import { TEST_PAGE, TEST_REDIS_URL, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

/**
 * Broadcasts end to end on Redis: webhook → states with consent → a broadcast created like the CLI
 * does → the fan-out → each user's lane → the sender → the fake Graph API, with a fake clock that
 * puts some users outside their window. Sized for `npm test`; bench:broadcast runs the big one.
 */
const OUTSIDE = Number(process.env.BC_OUTSIDE ?? 300);
const INSIDE = Number(process.env.BC_INSIDE ?? 700);
const PARTITIONS = 16;
const DAY = 24 * 3600_000;
const T0 = Date.UTC(2026, 10, 20, 12);
const AD_ACCOUNT = '1234567890';
let clock = T0;

const dir = mkdtempSync(join(tmpdir(), 'talkshop-bc-'));
writeFileSync(join(dir, 'settings.yaml'), 'default_flow: t\n');
writeFileSync(
  join(dir, 't.yaml'),
  `id: t
start: join
triggers:
  - keyword: [join]
  - keyword: [order]
    goto: ordered
  - postback: DEAL_YES
    goto: thanks
fallback: { text: "Sorry?" }
nodes:
  join:
    actions: [{ subscribe: offers }]
    say: [{ text: "Welcome" }]
    end: true
  ordered:
    actions: [{ tag: recent-order }]
    say: [{ text: "Order noted" }]
    end: true
  thanks:
    say: [{ text: "Great" }]
    end: true
`,
);

let fake: FakeGraphApi;
let service: RunningService;
let config: Config;
let redis: RedisClientType;
let control: BroadcastControl;
let broadcasts: BroadcastStore;

let mids = 0;
const psids = (n: number, from: number) => Array.from({ length: n }, (_, i) => `u${from + i}`);

/** One webhook POST carrying a text message from each of `users` (as Meta batches them). */
async function say(users: readonly string[], text: string): Promise<void> {
  for (let i = 0; i < users.length; i += 50) {
    const messaging = users.slice(i, i + 50).map((u) => ({
      sender: { id: u },
      recipient: { id: TEST_PAGE },
      timestamp: clock,
      message: { mid: `m-${(mids += 1)}`, text },
    }));
    const body = JSON.stringify({ object: 'page', entry: [{ id: TEST_PAGE, time: clock, messaging }] });
    expect((await postSigned(service.port, body)).status).toBe(200);
  }
}

const stateOf = async (psid: string) =>
  decodeUserState((await service.store.states.load(partitionOf(TEST_PAGE, psid, PARTITIONS), userKeyOf(TEST_PAGE, psid))).data);

async function allHave(users: readonly string[], test: (s: ReturnType<typeof decodeUserState>) => boolean, what: string) {
  await waitFor(what, async () => {
    for (const u of users) if (!test(await stateOf(u))) return undefined;
    return true;
  });
}

/** Waits until the broadcast's lane decisions are all made and every queued send is finished. */
async function settled(id: string, targeted: number) {
  return waitFor(`broadcast ${id} settled`, async () => {
    const r = await control.report(id);
    const s = r?.stats ?? {};
    const sum = (prefix: string) =>
      Object.entries(s)
        .filter(([k]) => k.startsWith(prefix))
        .reduce((a, [, v]) => a + v, 0);
    const laneSkips = (s.targeted ?? 0) - (s.queued ?? 0);
    const finished = (s.sent ?? 0) + sum('failed:') + sum('skipped:') - laneSkips;
    return s.targeted === targeted && finished === s.queued ? s : undefined;
  });
}

beforeAll(async () => {
  fake = await startTestGraphApi({ now: () => clock });
  fake.marketing.addAdAccount(AD_ACCOUNT);
  config = testConfig({
    FLOWS_DIR: dir,
    GRAPH_API_URL: fake.url,
    INBOX_PARTITIONS: String(PARTITIONS),
    SEND_RATE_PER_SEC: '1000',
    SEND_BURST: '1000',
    MARKETING_AD_ACCOUNT_ID: AD_ACCOUNT,
  });
  service = await startService(config, { now: () => clock });
  redis = createClient({ url: TEST_REDIS_URL });
  await redis.connect();
  fake.webhooks.configure({ url: `http://127.0.0.1:${service.port}/webhooks/messenger` });
  broadcasts = service.store.broadcasts as BroadcastStore;
  const flows = loadFlows(dir);
  if (!flows.ok) throw new Error('test flows do not load');
  control = new BroadcastControl({
    broadcasts,
    inbox: service.store.inbox,
    pageId: TEST_PAGE,
    partitions: PARTITIONS,
    now: () => clock,
    flows: flows.flowSet,
  });
  // Some users subscribe and order, then a day and more passes (their window closes); the others
  // subscribe and order now.
  const early = psids(OUTSIDE, 0);
  const late = psids(INSIDE, OUTSIDE);
  await say(early, 'join');
  await say(early, 'order');
  await allHave(early, (s) => s.tags.includes('recent-order'), 'early users ordered');
  clock += DAY + 3600_000;
  await say(late, 'join');
  await say(late, 'order');
  await allHave(late, (s) => s.tags.includes('recent-order'), 'late users ordered');
}, 120_000);

afterAll(async () => {
  await redis.quit();
  await service.stop();
  await fake.stop();
});

const broadcastTexts = (text: string) =>
  fake
    .sentMessages()
    .filter((c) => JSON.stringify(c.body).includes(text))
    .map((c) => c.recipientId as string);

describe('broadcasts end to end', () => {
  it('a promotional broadcast goes to users inside their window, once each; the rest are skipped outside_window', async () => {
    const created = await control.create(
      `id: promo-1
name: Promo
kind: promotional
topic: offers
audience: { where: ["consent.offers=yes"] }
messages:
  - text: "Promo for {{first_name}}"
    buttons: [{ title: Yes please, payload: DEAL_YES }]
`,
      'test',
      'tester',
    );
    expect(created.type).toBe('created');
    const stats = await settled('promo-1', OUTSIDE + INSIDE);
    expect(stats).toMatchObject({ targeted: OUTSIDE + INSIDE, queued: INSIDE, sent: INSIDE, 'skipped:outside_window': OUTSIDE });
    const to = broadcastTexts('Promo for');
    expect(to.length).toBe(INSIDE);
    expect(new Set(to).size).toBe(INSIDE); // no duplicates at the Graph API
    expect(to.every((p) => Number(p.slice(1)) >= OUTSIDE)).toBe(true);
    // Sent as UPDATE (not a reply), with no typing indicator.
    const call = fake.sentMessages(to[0]).find((c) => JSON.stringify(c.body).includes('Promo for'));
    expect((call?.body as { messaging_type: string }).messaging_type).toBe('UPDATE');
    expect((await broadcasts.get('promo-1'))?.status).toBe('done');
  }, 120_000);

  it('a tagged POST_PURCHASE_UPDATE reaches everyone it is true for, with the tag outside the window', async () => {
    const created = await control.create(
      `id: delay-1
name: Delay
kind: tagged
tag: POST_PURCHASE_UPDATE
audience: { where: ["tag=recent-order"] }
messages: [{ text: "Your order is a day late" }]
`,
      'test',
      'tester',
    );
    expect(created.type).toBe('created');
    const stats = await settled('delay-1', OUTSIDE + INSIDE);
    expect(stats).toMatchObject({ sent: OUTSIDE + INSIDE });
    const calls = fake.sentMessages().filter((c) => JSON.stringify(c.body).includes('a day late'));
    expect(new Set(calls.map((c) => c.recipientId)).size).toBe(OUTSIDE + INSIDE);
    const tagged = calls.filter((c) => (c.body as { tag?: string }).tag === 'POST_PURCHASE_UPDATE');
    expect(tagged.length).toBe(OUTSIDE); // outside the window only; inside it a plain UPDATE
  }, 120_000);

  it('refuses HUMAN_AGENT and a marketing_message without an ad account, storing nothing', async () => {
    const human = await control.create(
      'id: h1\nname: H\nkind: tagged\ntag: HUMAN_AGENT\naudience: { all: [] }\nmessages: [{ text: hi }]\n',
      'test',
      'tester',
    );
    expect(human.type).toBe('invalid');
    if (human.type === 'invalid') expect(human.problems.map((p) => p.message).join(' ')).toMatch(/HUMAN_AGENT is not allowed/);
    const mm = await control.create(
      'id: m1\nname: M\nkind: marketing_message\ntopic: offers\naudience: { all: [] }\nmessages: [{ text: hi }]\n',
      'test',
      'tester',
    );
    expect(mm.type).toBe('invalid');
    if (mm.type === 'invalid') expect(mm.problems.map((p) => p.message).join(' ')).toMatch(/MARKETING_AD_ACCOUNT_ID/);
    expect(await broadcasts.get('h1')).toBeNull();
    expect(await broadcasts.get('m1')).toBeNull();
  });

  it('counts deliveries and reads from watermarks, a tap on its button as a click, and a reply', async () => {
    const [first] = broadcastTexts('Promo for');
    const user = first as string;
    clock += 60_000;
    await fake.webhooks.delivered(user, { watermark: clock });
    await fake.webhooks.read(user, { watermark: clock });
    await fake.webhooks.event(user, { postback: { title: 'Yes please', payload: 'DEAL_YES', mid: `pb-${user}` } }, clock);
    const stats = await waitFor('receipts and the click counted', async () => {
      const s = (await control.report('promo-1'))?.stats ?? {};
      return s.delivered === 1 && s.read === 1 && s.clicked === 1 && s.replied === 1 ? s : undefined;
    });
    expect(stats).toMatchObject({ delivered: 1, read: 1, clicked: 1, replied: 1 });
  }, 60_000);

  it('sends a marketing_message broadcast through the campaign to the subscribers with a token; the others are skipped no_token', async () => {
    const subscribers = psids(5, OUTSIDE);
    for (const [i, u] of subscribers.entries())
      expect(await fake.webhooks.optin(u, { token: `tok-${i}`, topic: 'offers' })).toBe(200);
    await allHave(subscribers, (s) => s.marketingTokens.offers?.status === 'active', 'tokens recorded');
    const graph = createGraphClient(graphClientOptions(config));
    const mm = new BroadcastControl({
      broadcasts,
      inbox: service.store.inbox,
      pageId: TEST_PAGE,
      partitions: PARTITIONS,
      now: () => clock,
      adAccountId: AD_ACCOUNT,
      createCampaign: (b) => graph.createMessageCampaign(AD_ACCOUNT, { name: b.name }),
    });
    expect(
      (
        await mm.create(
          'id: mm-1\nname: MM\nkind: marketing_message\ntopic: offers\naudience: { where: ["consent.offers=yes"] }\nmessages: [{ text: "Members only" }]\n',
          'test',
          'tester',
        )
      ).type,
    ).toBe('created');
    const stats = await settled('mm-1', OUTSIDE + INSIDE);
    graph.close();
    expect(stats).toMatchObject({ sent: 5, 'skipped:no_token': OUTSIDE + INSIDE - 5 });
    expect(
      fake.marketing
        .sent()
        .map((s) => s.psid)
        .sort(),
    ).toEqual([...subscribers].sort());
  }, 120_000);

  it('an erased user is left out of later broadcasts, and no key, field, member or entry under the prefix names them', async () => {
    const victim = `u${OUTSIDE + 1}`;
    await enqueueForget(service.store, { pageId: TEST_PAGE, partitions: PARTITIONS, psid: victim }, clock);
    await waitFor('the erase applied', async () => ((await stateOf(victim)).inbound === 0 ? true : undefined));
    expect(
      (
        await control.create(
          'id: after-erase\nname: A\nkind: tagged\ntag: ACCOUNT_UPDATE\naudience: { where: ["tag=recent-order"] }\nmessages: [{ text: "Account news" }]\n',
          'test',
          'tester',
        )
      ).type,
    ).toBe('created');
    await settled('after-erase', OUTSIDE + INSIDE - 1);
    expect(broadcastTexts('Account news')).not.toContain(victim);
    const naming: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${config.REDIS_KEY_PREFIX}:*`, COUNT: 1000 }))
      for (const key of batch) {
        const type = await redis.type(key);
        const texts = [key];
        if (type === 'string') texts.push((await redis.get(key)) ?? '');
        else if (type === 'hash') texts.push(...Object.entries(await redis.hGetAll(key)).flat());
        else if (type === 'zset' || type === 'set')
          texts.push(...(type === 'set' ? await redis.sMembers(key) : await redis.zRange(key, 0, -1)));
        else if (type === 'stream')
          for (const e of await redis.xRange(key, '-', '+')) texts.push(e.id, ...Object.entries(e.message).flat());
        if (texts.some((t) => new RegExp(`\\b${victim}\\b`).test(t))) naming.push(key);
      }
    expect(naming).toEqual([]);
  }, 120_000);
});
