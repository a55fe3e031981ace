import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { FAKE_MARKETING_ERRORS, INELIGIBLE_SUBCODE } from '../../src/emulator/fakeMarketingMessages';
import {
  marketingMessageRequestSchema,
  marketingMessageResponseSchema,
  messageCampaignResponseSchema,
  notificationMessageTokensPageSchema,
} from '../../src/platform/graphRequestSchemas';

/**
 * The fake's Marketing Message API for Messenger (docs/messenger-platform.md §4.3), spoken to raw
 * as Meta would be: campaigns under known ad accounts only, sends by subscription token with the
 * Send API's message schema, the errors a broadcast must turn into skips, and the paged token list.
 */

const SECRET = 'mm-test-secret';
const TOKEN = 'EAAmm-test-token';
const PAGE = '5550001';
const AD = '998877';
const PROOF = createHmac('sha256', SECRET).update(TOKEN).digest('hex');
const DAY = 24 * 3600 * 1000;

let clock = 1_700_000_000_000;
let fake: FakeGraphApi;

beforeAll(async () => {
  fake = await startFakeGraphApi({
    appSecret: SECRET,
    accessToken: TOKEN,
    pageId: PAGE,
    now: () => clock,
    adAccountIds: [AD],
  });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  clock += DAY;
});

interface Answer {
  readonly status: number;
  readonly json: unknown;
}
async function call(method: string, path: string, body?: unknown, query: Record<string, string> = {}): Promise<Answer> {
  const q = new URLSearchParams({ ...query, access_token: TOKEN, appsecret_proof: PROOF });
  const res = await fetch(`${fake.url}${path}?${q.toString()}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as unknown };
}
const errorSchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    code: z.number(),
    error_subcode: z.number().optional(),
    fbtrace_id: z.string(),
  }),
});
const errorOf = (a: Answer) => errorSchema.parse(a.json).error;

async function createCampaign(account = AD): Promise<string> {
  const a = await call('POST', `/v24.0/act_${account}/message_campaign`, { name: 'Spring', objective: 'MARKETING_MESSAGES' });
  expect(a.status).toBe(200);
  return messageCampaignResponseSchema.parse(a.json).id;
}
const mm = (messageId: string, token: string, message: unknown = { text: 'New arrivals' }) =>
  marketingMessageRequestSchema.parse({ message_id: messageId, messenger_delivery_data: { subscription_token: token }, message });
const subscriber = (n: number, extra: Partial<Parameters<FakeGraphApi['marketing']['addToken']>[0]> = {}) =>
  fake.marketing.addToken({ token: `tok-${n}`, psid: `psid-${n}`, topic: 'offers', expiresAt: clock + 30 * DAY, ...extra });

describe('message_campaign', () => {
  it('creates a campaign under a known ad account and answers its message id', async () => {
    const id = await createCampaign();
    expect(id).toMatch(/^\d+$/);
    expect(fake.marketing.campaigns()).toEqual([{ id, adAccountId: AD, name: 'Spring', active: true }]);
    expect(fake.calls.at(-1)?.endpoint).toBe('message_campaign');
  });

  it('an unknown ad account → code 100 naming it', async () => {
    const a = await call('POST', '/v24.0/act_111/message_campaign', { name: 'x' });
    expect(a.status).toBe(400);
    expect(errorOf(a)).toMatchObject({ code: 100, error_subcode: 33 });
    expect(errorOf(a).message).toContain("'act_111'");
  });

  it('a campaign without a name → code 100 naming the param; unknown fields pass', async () => {
    const a = await call('POST', `/v24.0/act_${AD}/message_campaign`, { objective: 'MARKETING_MESSAGES' });
    expect(errorOf(a)).toMatchObject({ code: 100 });
    expect(errorOf(a).message).toContain('param name');
    const b = await call('POST', `/v24.0/act_${AD}/message_campaign`, { name: 'n', daily_budget: '5000', special: 1 });
    expect(b.status).toBe(200);
  });

  it('an ad account added at run time is accepted; reset goes back to the configured ones', async () => {
    expect((await call('POST', '/v24.0/act_222/message_campaign', { name: 'x' })).status).toBe(400);
    fake.marketing.addAdAccount('act_222');
    expect((await call('POST', '/v24.0/act_222/message_campaign', { name: 'x' })).status).toBe(200);
    fake.reset();
    expect((await call('POST', '/v24.0/act_222/message_campaign', { name: 'x' })).status).toBe(400);
  });
});

describe('act_<id>/messages', () => {
  it('sends to a subscriber by token and answers a message id; the call names their PSID', async () => {
    const id = await createCampaign();
    subscriber(1);
    const a = await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-1'));
    expect(a.status).toBe(200);
    const { message_id } = marketingMessageResponseSchema.parse(a.json);
    expect(fake.marketing.sent('psid-1')).toEqual([
      expect.objectContaining({
        token: 'tok-1',
        psid: 'psid-1',
        mid: message_id,
        campaignId: id,
        message: { text: 'New arrivals' },
      }),
    ]);
    expect(fake.calls.at(-1)).toMatchObject({ endpoint: 'marketing_messages', recipientId: 'psid-1', status: 200 });
  });

  it('validates the message with the Send API schema and refuses a PSID recipient', async () => {
    const id = await createCampaign();
    subscriber(1);
    const tooLong = await call('POST', `/v24.0/act_${AD}/messages`, {
      message_id: id,
      messenger_delivery_data: { subscription_token: 'tok-1' },
      message: { text: 'x'.repeat(2001) },
    });
    expect(errorOf(tooLong).code).toBe(100);
    expect(errorOf(tooLong).message).toContain('param message');
    const byPsid = await call('POST', `/v24.0/act_${AD}/messages`, {
      message_id: id,
      recipient: { id: 'psid-1' },
      message: { text: 'hi' },
    });
    expect(errorOf(byPsid).code).toBe(100);
    expect(fake.marketing.sent()).toHaveLength(0);
  });

  it('an unknown message id → 2300001; a paused campaign → 2300000; another account’s campaign → 2300001', async () => {
    subscriber(1);
    expect(errorOf(await call('POST', `/v24.0/act_${AD}/messages`, mm('404', 'tok-1'))).code).toBe(2300001);
    const id = await createCampaign();
    fake.marketing.setCampaignActive(id, false);
    expect(errorOf(await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-1'))).code).toBe(2300000);
    fake.marketing.addAdAccount('333');
    expect(errorOf(await call('POST', '/v24.0/act_333/messages', mm(id, 'tok-1'))).code).toBe(2300001);
    expect(errorOf(await call('POST', '/v24.0/act_444/messages', mm(id, 'tok-1')))).toMatchObject({
      code: 100,
      error_subcode: 33,
    });
  });

  it('unknown, expired and stopped tokens: code 100, the subscriber cannot be reached', async () => {
    const id = await createCampaign();
    subscriber(1, { expiresAt: clock - 1 });
    subscriber(2, { status: 'stopped' });
    const unknown = errorOf(await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-nobody')));
    expect(unknown).toMatchObject({ code: 100, error_subcode: FAKE_MARKETING_ERRORS.unknownToken.subcode });
    const expired = errorOf(await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-1')));
    expect(expired.message).toMatch(/cannot be reached.*expired/);
    const stopped = errorOf(await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-2')));
    expect(stopped).toMatchObject({ code: 100, error_subcode: FAKE_MARKETING_ERRORS.stoppedToken.subcode });
    expect(stopped.message).toContain('cannot be reached');
    fake.marketing.setTokenStatus('tok-2', 'active');
    expect((await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-2'))).status).toBe(200);
  });

  it('a recipient outside the allowed regions is refused with the reason given', async () => {
    const id = await createCampaign();
    subscriber(1);
    fake.marketing.ineligible('tok-1', 'recipient region not eligible (EU)');
    const e = errorOf(await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-1')));
    expect(e).toMatchObject({ code: 100, error_subcode: INELIGIBLE_SUBCODE });
    expect(e.message).toContain('recipient region not eligible (EU)');
  });

  it('no cooldown: the same subscriber can get two messages in a row', async () => {
    const id = await createCampaign();
    subscriber(1);
    for (let i = 0; i < 2; i += 1) expect((await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-1'))).status).toBe(200);
    expect(fake.marketing.sent('psid-1')).toHaveLength(2);
  });

  it('per-PSID failures apply to marketing sends too', async () => {
    const id = await createCampaign();
    subscriber(1);
    fake.fail.recipient('psid-1', { code: 551, subcode: 1545041 }, { times: 1 });
    expect(errorOf(await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-1'))).code).toBe(551);
    expect((await call('POST', `/v24.0/act_${AD}/messages`, mm(id, 'tok-1'))).status).toBe(200);
  });
});

describe('notification_message_tokens', () => {
  it('pages through every active token with the documented fields, following paging.next', async () => {
    for (let n = 0; n < 7; n += 1) subscriber(n, { timezone: 'Asia/Manila' });
    subscriber(99, { status: 'stopped' });
    const seen: string[] = [];
    let page = notificationMessageTokensPageSchema.parse(
      (await call('GET', `/v24.0/${PAGE}/notification_message_tokens`, undefined, { limit: '3' })).json,
    );
    for (;;) {
      seen.push(...page.data.map((t) => t.notification_messages_token));
      expect(page.data.length).toBeLessThanOrEqual(3);
      const next = page.paging?.next;
      if (next === undefined) break;
      expect(page.paging?.cursors?.after).toBeDefined();
      // The next URL is the fake's own; the client adds its credentials as for any call.
      const url = new URL(next);
      url.searchParams.set('access_token', TOKEN);
      url.searchParams.set('appsecret_proof', PROOF);
      page = notificationMessageTokensPageSchema.parse(await (await fetch(url)).json());
    }
    expect(seen).toEqual(['tok-0', 'tok-1', 'tok-2', 'tok-3', 'tok-4', 'tok-5', 'tok-6']);
    const first = await call('GET', `/v24.0/me/notification_message_tokens`, undefined, { limit: '1' });
    expect(notificationMessageTokensPageSchema.parse(first.json).data[0]).toEqual({
      notification_messages_token: 'tok-0',
      recipient_id: 'psid-0',
      notification_messages_reoptin: 'ENABLED',
      creation_timestamp: Math.floor(clock / 1000),
      token_expiry_timestamp: Math.floor((clock + 30 * DAY) / 1000),
      user_token_status: 'NOT_REFRESHED',
      topic_title: 'offers',
      notification_messages_timezone: 'Asia/Manila',
      next_eligible_time: Math.floor(clock / 1000),
    });
  });

  it('default limit 100, capped at 1000; a bad limit or cursor → 100', async () => {
    for (let n = 0; n < 1005; n += 1) subscriber(n);
    const def = notificationMessageTokensPageSchema.parse((await call('GET', `/v24.0/${PAGE}/notification_message_tokens`)).json);
    expect(def.data).toHaveLength(100);
    const big = notificationMessageTokensPageSchema.parse(
      (await call('GET', `/v24.0/${PAGE}/notification_message_tokens`, undefined, { limit: '5000' })).json,
    );
    expect(big.data).toHaveLength(1000);
    expect(errorOf(await call('GET', `/v24.0/${PAGE}/notification_message_tokens`, undefined, { limit: '0' })).code).toBe(100);
    expect(errorOf(await call('GET', `/v24.0/${PAGE}/notification_message_tokens`, undefined, { after: 'garbage' })).code).toBe(
      100,
    );
  });

  it('an empty list has no paging; do_not_return_duplicates keeps one token per subscriber and topic', async () => {
    const empty = await call('GET', `/v24.0/${PAGE}/notification_message_tokens`);
    expect(empty.json).toEqual({ data: [] });
    subscriber(1);
    fake.marketing.addToken({ token: 'tok-1b', psid: 'psid-1', topic: 'offers', expiresAt: clock + DAY });
    const all = notificationMessageTokensPageSchema.parse((await call('GET', `/v24.0/${PAGE}/notification_message_tokens`)).json);
    expect(all.data).toHaveLength(2);
    const dedup = notificationMessageTokensPageSchema.parse(
      (await call('GET', `/v24.0/${PAGE}/notification_message_tokens`, undefined, { do_not_return_duplicates: 'true' })).json,
    );
    expect(dedup.data.map((t) => t.notification_messages_token)).toEqual(['tok-1b']);
  });

  it('POST to the token list is unsupported', async () => {
    expect(errorOf(await call('POST', `/v24.0/${PAGE}/notification_message_tokens`, {})).code).toBe(100);
  });
});
