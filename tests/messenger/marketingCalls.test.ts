import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import type { ClosableGraphClient } from '../../src/messenger/graphClient';
import { classifyGraphError, GraphApiError, marketingCampaignFailure, marketingRefusal } from '../../src/messenger/graphErrors';
import { TOKENS_PAGE_SIZE } from '../../src/messenger/marketingCalls';
import type { MarketingMessageRequest } from '../../src/platform/graphRequestSchemas';
import { startTestGraphApi, testGraphClient } from '../support/testGraphApi';
import { TEST_PAGE } from '../support/testEnv';

/**
 * The Graph client's Marketing Message API calls (docs/messenger-platform.md §4.3) against the fake
 * Graph API over HTTP: what goes on the wire, what is refused before it, and how each refusal the
 * fake answers reads to a broadcast (skip this subscriber, or stop the whole campaign).
 */

const AD = '998877';
const DAY = 24 * 3600 * 1000;
let clock = 1_700_000_000_000;
let fake: FakeGraphApi;
let client: ClosableGraphClient;

beforeAll(async () => {
  fake = await startTestGraphApi({ now: () => clock, adAccountIds: [AD] });
  client = testGraphClient(fake, { timeoutMs: 2_000 });
});
afterAll(async () => {
  client.close();
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  clock += DAY;
});

const subscriber = (n: number, extra: Partial<Parameters<FakeGraphApi['marketing']['addToken']>[0]> = {}) =>
  fake.marketing.addToken({ token: `tok-${n}`, psid: `psid-${n}`, topic: 'offers', expiresAt: clock + 30 * DAY, ...extra });
const mm = (messageId: string, token: string, text = 'New arrivals'): MarketingMessageRequest => ({
  message_id: messageId,
  messenger_delivery_data: { subscription_token: token },
  message: { text },
});

async function graphError(fn: () => Promise<unknown>): Promise<GraphApiError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof GraphApiError) return e;
    throw e;
  }
  throw new Error('expected a GraphApiError');
}

describe('createMessageCampaign', () => {
  it('POSTs act_<id>/message_campaign and answers the message id; act_ in the id is accepted', async () => {
    const id = await client.createMessageCampaign(AD, { name: 'Spring', objective: 'MARKETING_MESSAGES' });
    expect(id).toMatch(/^\d+$/);
    const other = await client.createMessageCampaign(`act_${AD}`, { name: 'Summer' });
    expect(fake.marketing.campaigns().map((c) => [c.id, c.name, c.adAccountId])).toEqual([
      [id, 'Spring', AD],
      [other, 'Summer', AD],
    ]);
    expect(fake.calls[0]).toMatchObject({
      method: 'POST',
      path: `/v26.0/act_${AD}/message_campaign`,
      endpoint: 'message_campaign',
      tokenIn: 'header',
      body: { name: 'Spring', objective: 'MARKETING_MESSAGES' },
    });
  });

  it('an invalid request or ad account id is refused before sending', async () => {
    const noName = await graphError(() => client.createMessageCampaign(AD, { name: '' }));
    expect(noName).toMatchObject({ sent: false, graphCode: 100 });
    const badAccount = await graphError(() => client.createMessageCampaign('act_../me', { name: 'x' }));
    expect(badAccount).toMatchObject({ sent: false, graphCode: 100 });
    expect(fake.calls).toHaveLength(0);
  });

  it('an ad account the Page cannot use: Meta’s 100/33, not a send refusal', async () => {
    const e = await graphError(() => client.createMessageCampaign('111', { name: 'x' }));
    expect(e).toMatchObject({ graphCode: 100, errorSubcode: 33, endpoint: 'POST /act_111/message_campaign', sent: true });
    expect(marketingRefusal(e)).toBeUndefined();
  });
});

describe('sendMarketingMessage', () => {
  it('POSTs act_<id>/messages by subscription token and answers the message id', async () => {
    const campaign = await client.createMessageCampaign(AD, { name: 'Spring' });
    subscriber(1);
    const result = await client.sendMarketingMessage(AD, mm(campaign, 'tok-1'));
    const [sent] = fake.marketing.sent('psid-1');
    expect(sent).toMatchObject({ token: 'tok-1', campaignId: campaign, message: { text: 'New arrivals' } });
    // Meta's answer names no recipient, and the token never stands in for one.
    expect(result).toEqual({ messageId: sent?.mid, recipientId: '' });
    expect(fake.calls.at(-1)).toMatchObject({ path: `/v26.0/act_${AD}/messages`, recipientId: 'psid-1', status: 200 });
  });

  it('an invalid request is refused before sending: nothing reaches the fake', async () => {
    const campaign = await client.createMessageCampaign(AD, { name: 'Spring' });
    subscriber(1);
    fake.clearCalls();
    const tooLong = await graphError(() => client.sendMarketingMessage(AD, mm(campaign, 'tok-1', 'x'.repeat(2001))));
    expect(tooLong).toMatchObject({ sent: false, graphCode: 100, endpoint: `POST /act_${AD}/messages` });
    expect(tooLong.graphMessage).toContain('message');
    const byPsid = { message_id: campaign, recipient: { id: 'psid-1' }, message: { text: 'hi' } };
    const psidSend = await graphError(() => client.sendMarketingMessage(AD, byPsid as unknown as MarketingMessageRequest));
    expect(psidSend.sent).toBe(false);
    const noToken = await graphError(() => client.sendMarketingMessage(AD, mm(campaign, '')));
    expect(noToken.sent).toBe(false);
    // A request we refused is our mistake, not the subscriber's: no skip reason is made of it.
    for (const e of [tooLong, psidSend, noToken]) {
      expect(marketingRefusal(e)).toBeUndefined();
      expect(classifyGraphError(e)).toBe('drop');
    }
    expect(fake.calls).toHaveLength(0);
    expect(fake.marketing.sent()).toHaveLength(0);
  });

  it('unknown, expired and stopped tokens: this subscriber is not eligible, with Meta’s message', async () => {
    const campaign = await client.createMessageCampaign(AD, { name: 'Spring' });
    subscriber(1, { expiresAt: clock - 1 });
    subscriber(2, { status: 'stopped' });
    for (const token of ['tok-nobody', 'tok-1', 'tok-2']) {
      const e = await graphError(() => client.sendMarketingMessage(AD, mm(campaign, token)));
      expect(e.graphCode).toBe(100);
      expect(marketingRefusal(e)).toEqual({ type: 'ineligible', reason: 'not_subscribed', detail: e.graphMessage });
      expect(e.graphMessage).toContain('cannot be reached');
      expect(marketingCampaignFailure(e)).toBeUndefined();
      // Skip this one and go on: never 'campaign' (stop all) nor 'unreachable_user' (a PSID mark).
      expect(classifyGraphError(e)).toBe('drop');
      expect(e.message).not.toContain(token);
    }
  });

  it('a refused recipient region reads as region, with the reason Meta gave', async () => {
    const campaign = await client.createMessageCampaign(AD, { name: 'Spring' });
    subscriber(1);
    fake.marketing.ineligible('tok-1', 'recipients in this location are not eligible');
    const e = await graphError(() => client.sendMarketingMessage(AD, mm(campaign, 'tok-1')));
    expect(marketingRefusal(e)).toEqual({ type: 'ineligible', reason: 'region', detail: e.graphMessage });
    expect(e.graphMessage).toContain('recipients in this location are not eligible');
    expect(classifyGraphError(e)).toBe('drop');
  });

  it('a paused campaign, an unknown message id, an unusable ad account: the whole broadcast fails', async () => {
    const campaign = await client.createMessageCampaign(AD, { name: 'Spring' });
    subscriber(1);
    fake.marketing.setCampaignActive(campaign, false);
    const paused = await graphError(() => client.sendMarketingMessage(AD, mm(campaign, 'tok-1')));
    const unknownId = await graphError(() => client.sendMarketingMessage(AD, mm('404', 'tok-1')));
    const account = await graphError(() => client.sendMarketingMessage('444', mm(campaign, 'tok-1')));
    const cases = [
      [paused, 'not_active', 2300000],
      [unknownId, 'invalid_message_id', 2300001],
      [account, 'ad_account', 100],
    ] as const;
    for (const [e, reason, code] of cases) {
      expect(e.graphCode).toBe(code);
      expect(classifyGraphError(e)).toBe('campaign');
      expect(marketingCampaignFailure(e)).toEqual({ type: 'campaign', reason, detail: e.graphMessage });
      expect(marketingRefusal(e)).toBeUndefined();
    }
    fake.marketing.setCampaignActive(campaign, true);
    await expect(client.sendMarketingMessage(AD, mm(campaign, 'tok-1'))).resolves.toMatchObject({
      messageId: expect.stringMatching(/^m_/),
    });
  });

  it('other failures keep their ordinary meaning (a blocked PSID, a rate limit)', async () => {
    const campaign = await client.createMessageCampaign(AD, { name: 'Spring' });
    subscriber(1);
    fake.fail.recipient('psid-1', { code: 551, subcode: 1545041 }, { times: 1 });
    const blocked = await graphError(() => client.sendMarketingMessage(AD, mm(campaign, 'tok-1')));
    expect(classifyGraphError(blocked)).toBe('unreachable_user');
    expect(marketingRefusal(blocked)).toBeUndefined();
    fake.fail.nextRequests(1, { code: 613 });
    const limited = await graphError(() => client.sendMarketingMessage(AD, mm(campaign, 'tok-1')));
    expect(classifyGraphError(limited)).toBe('rate_limited');
    expect(marketingRefusal(limited)).toBeUndefined();
    expect(marketingCampaignFailure(limited)).toBeUndefined();
  });
});

describe('notificationMessageTokens', () => {
  it('GETs <PAGE_ID>/notification_message_tokens at the largest page size and follows the after cursor', async () => {
    const total = TOKENS_PAGE_SIZE * 2 + 7;
    for (let n = 0; n < total; n += 1) subscriber(n, { createdAt: clock - DAY });
    subscriber(total, { status: 'stopped' });
    const first = await client.notificationMessageTokens();
    expect(first.data).toHaveLength(TOKENS_PAGE_SIZE);
    expect(first.data[0]).toMatchObject({
      notification_messages_token: 'tok-0',
      recipient_id: 'psid-0',
      topic_title: 'offers',
      token_expiry_timestamp: Math.floor((clock + 30 * DAY) / 1000),
      creation_timestamp: Math.floor((clock - DAY) / 1000),
    });
    expect(fake.calls[0]).toMatchObject({
      method: 'GET',
      path: `/v26.0/${TEST_PAGE}/notification_message_tokens`,
      endpoint: 'notification_message_tokens',
    });
    expect(fake.calls[0]?.query).toMatchObject({ limit: String(TOKENS_PAGE_SIZE) });
    expect(fake.calls[0]?.query.after).toBeUndefined();
    const second = await client.notificationMessageTokens(first.paging?.cursors?.after);
    expect(fake.calls[1]?.query.after).toBe(first.paging?.cursors?.after);
    expect(second.paging?.next).toBeDefined();
    const third = await client.notificationMessageTokens(second.paging?.cursors?.after);
    expect(third.data.map((t) => t.notification_messages_token)).toEqual(
      Array.from({ length: 7 }, (_, i) => `tok-${TOKENS_PAGE_SIZE * 2 + i}`),
    );
    // The last page has no next; the stopped subscriber is not listed.
    expect(third.paging?.next).toBeUndefined();
  });

  it('an empty list is one page without paging', async () => {
    await expect(client.notificationMessageTokens()).resolves.toEqual({ data: [] });
  });

  it('a cursor Graph does not know is its code-100 error', async () => {
    const e = await graphError(() => client.notificationMessageTokens('bogus'));
    expect(e).toMatchObject({ graphCode: 100, endpoint: `GET /${TEST_PAGE}/notification_message_tokens`, sent: true });
  });
});
