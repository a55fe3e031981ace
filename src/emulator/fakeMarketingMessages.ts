import {
  adAccountIdSchema,
  marketingMessageRequestSchema,
  messageCampaignRequestSchema,
  NOTIFICATION_TOKENS_LIMIT,
  type NotificationMessageToken,
} from '../platform/graphRequestSchemas';
import type { FakeGraphError, FakeHandlerKit } from './fakeGraphError';

/**
 * The fake's Marketing Message API for Messenger (docs/messenger-platform.md §4.3): campaigns under
 * known ad accounts, sends to subscription tokens, and the Page's token list. The 1-per-48 h
 * cooldown belonged to the retired recurring notifications, not to this API, so there is none here.
 */

export type FakeTokenStatus = 'active' | 'stopped';

/** A subscriber the fake knows: what an opt-in webhook gave the service, and Meta remembers. */
export interface FakeMarketingToken {
  readonly token: string;
  readonly psid: string;
  /** The opt-in's topic (`topic_title`). */
  readonly topic: string;
  /** Epoch ms; sends after it fail as unreachable. */
  readonly expiresAt: number;
  /** Default active. A stopped token is refused and left out of the token list. */
  readonly status?: FakeTokenStatus;
  /** Epoch ms; default the fake's clock when added. */
  readonly createdAt?: number;
  readonly userTokenStatus?: 'REFRESHED' | 'NOT_REFRESHED';
  readonly timezone?: string;
  readonly reoptin?: boolean;
}

export interface FakeMarketingSend {
  readonly adAccountId: string;
  readonly campaignId: string;
  readonly token: string;
  readonly psid: string;
  readonly mid: string;
  readonly message: unknown;
  readonly at: number;
}

export interface FakeCampaign {
  readonly id: string;
  readonly adAccountId: string;
  readonly name: string;
  active: boolean;
}

export interface FakeMarketingControls {
  /** An ad account (digits, `act_` optional) the Page may send through; others answer code 100. */
  addAdAccount(id: string): void;
  addToken(token: FakeMarketingToken): void;
  /** The subscriber stopped (or resumed) marketing messages. Unknown tokens are ignored. */
  setTokenStatus(token: string, status: FakeTokenStatus): void;
  /** Sends to this token are refused as Meta refuses a recipient outside the allowed regions, with `reason` in the message. */
  ineligible(token: string, reason: string): void;
  /** Sends under this campaign answer 2300000 (campaign not active) until `active` again. */
  setCampaignActive(campaignId: string, active: boolean): void;
  tokens(): readonly FakeMarketingToken[];
  campaigns(): readonly Readonly<FakeCampaign>[];
  /** Accepted marketing messages, optionally for one PSID. */
  sent(psid?: string): readonly FakeMarketingSend[];
}

/**
 * Meta's answers. 2300000 and 2300001 are the API reference's error codes (§3.5, [S36b]). No code is
 * documented for a token that is unknown, expired, stopped or in a refused region (§4.3 says only
 * "stopped users → error"), so these are code 100 with subcodes of the fake's own (not Meta's)
 * and a message saying the subscriber cannot be reached: a client should classify them by code 100
 * on this endpoint and keep Meta's message as the skip reason, never rely on these subcodes.
 */
export const FAKE_MARKETING_ERRORS = {
  campaignNotActive: {
    code: 2300000,
    message: 'You cannot send a message unless the message campaign under which the message exists is active.',
  },
  invalidMessageId: {
    code: 2300001,
    message:
      'The message ID you supplied is invalid. The message with this ID either does not exist, or you do not have the permission to access it.',
  },
  unknownToken: { code: 100, subcode: 2300100, message: '(#100) The subscriber cannot be reached: unknown subscription token' },
  expiredToken: {
    code: 100,
    subcode: 2300100,
    message: '(#100) The subscriber cannot be reached: the subscription token has expired',
  },
  stoppedToken: {
    code: 100,
    subcode: 2300101,
    message: '(#100) The subscriber cannot be reached: they stopped marketing messages from this Page',
  },
} as const satisfies Record<string, FakeGraphError>;
/** Subcode of a refused recipient region; the message carries the reason given to `ineligible`. */
export const INELIGIBLE_SUBCODE = 2300102;

const unknownObject = (id: string, method: string): FakeGraphError => ({
  code: 100,
  subcode: 33,
  type: 'GraphMethodException',
  message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
});

const seconds = (ms: number): number => Math.floor(ms / 1000);

export interface FakeMarketing {
  readonly controls: FakeMarketingControls;
  /** `POST act_<id>/message_campaign` */
  campaign(adAccount: string, body: unknown): unknown;
  /** `POST act_<id>/messages`; `recipient(psid)` names the subscriber and applies the per-PSID failures. */
  send(adAccount: string, body: unknown, recipient: (psid: string) => void): unknown;
  /** `GET <PAGE_ID>/notification_message_tokens`; `nextUrl(query)` is the absolute URL of the next page. */
  tokens(query: Readonly<Record<string, string>>, nextUrl: (query: Record<string, string>) => string): unknown;
  reset(): void;
}

export function createFakeMarketing(kit: FakeHandlerKit, initialAdAccounts: readonly string[] = []): FakeMarketing {
  const adAccounts = new Set<string>();
  const tokens = new Map<string, FakeMarketingToken>();
  const ineligible = new Map<string, string>();
  const campaigns = new Map<string, FakeCampaign>();
  const sends: FakeMarketingSend[] = [];
  let campaignCounter = 0;
  let sendCounter = 0;

  const accountId = (raw: string): string => {
    const parsed = adAccountIdSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`fake.marketing: "${raw}" is not an ad account id (digits, optionally act_…)`);
    return parsed.data;
  };
  const reset = (): void => {
    adAccounts.clear();
    for (const id of initialAdAccounts) adAccounts.add(accountId(id));
    tokens.clear();
    ineligible.clear();
    campaigns.clear();
    sends.length = 0;
  };
  reset();

  function knownAccount(adAccount: string): string {
    const id = adAccount.replace(/^act_/, '');
    if (!adAccounts.has(id)) kit.fail(unknownObject(`act_${id}`, 'post'));
    return id;
  }

  function campaign(adAccount: string, body: unknown): unknown {
    const account = knownAccount(adAccount);
    const request = kit.parse(messageCampaignRequestSchema, body);
    campaignCounter += 1;
    const id = String(120_000_000_000_000 + campaignCounter);
    campaigns.set(id, { id, adAccountId: account, name: request.name, active: request.status !== 'PAUSED' });
    return { id };
  }

  function send(adAccount: string, body: unknown, recipient: (psid: string) => void): unknown {
    const account = knownAccount(adAccount);
    const request = kit.parse(marketingMessageRequestSchema, body);
    const c = campaigns.get(request.message_id);
    if (c === undefined || c.adAccountId !== account) kit.fail(FAKE_MARKETING_ERRORS.invalidMessageId);
    if (!c.active) kit.fail(FAKE_MARKETING_ERRORS.campaignNotActive);
    const t = tokens.get(request.messenger_delivery_data.subscription_token);
    if (t === undefined) return kit.fail(FAKE_MARKETING_ERRORS.unknownToken);
    recipient(t.psid);
    if (t.status === 'stopped') kit.fail(FAKE_MARKETING_ERRORS.stoppedToken);
    if (t.expiresAt <= kit.now()) kit.fail(FAKE_MARKETING_ERRORS.expiredToken);
    const reason = ineligible.get(t.token);
    if (reason !== undefined)
      kit.fail({ code: 100, subcode: INELIGIBLE_SUBCODE, message: `(#100) The subscriber cannot be reached: ${reason}` });
    sendCounter += 1;
    const mid = `m_fake_mm_${sendCounter.toString(36)}`;
    sends.push({
      adAccountId: account,
      campaignId: c.id,
      token: t.token,
      psid: t.psid,
      mid,
      message: request.message,
      at: kit.now(),
    });
    return { message_id: mid };
  }

  function limitOf(raw: string | undefined): number {
    if (raw === undefined) return NOTIFICATION_TOKENS_LIMIT.default;
    if (!/^\d+$/.test(raw) || Number(raw) < 1)
      return kit.fail({ code: 100, message: '(#100) param limit must be a positive integer' });
    // Graph caps a larger limit rather than refusing it.
    return Math.min(Number(raw), NOTIFICATION_TOKENS_LIMIT.max);
  }

  function offsetOf(after: string | undefined): number {
    if (after === undefined) return 0;
    const decoded = Buffer.from(after, 'base64url')
      .toString('utf8')
      .match(/^tok:(\d+)$/);
    if (decoded?.[1] === undefined) return kit.fail({ code: 100, message: '(#100) Invalid cursor: param after' });
    return Number(decoded[1]);
  }

  function listEntry(t: FakeMarketingToken): NotificationMessageToken {
    const created = t.createdAt ?? kit.now();
    return {
      notification_messages_token: t.token,
      recipient_id: t.psid,
      notification_messages_reoptin: t.reoptin === false ? 'DISABLED' : 'ENABLED',
      creation_timestamp: seconds(created),
      token_expiry_timestamp: seconds(t.expiresAt),
      user_token_status: t.userTokenStatus ?? 'NOT_REFRESHED',
      topic_title: t.topic,
      notification_messages_timezone: t.timezone ?? 'UTC',
      // No cooldown in this API: every subscriber is eligible now.
      next_eligible_time: seconds(kit.now()),
    };
  }

  function list(query: Readonly<Record<string, string>>, nextUrl: (q: Record<string, string>) => string): unknown {
    const limit = limitOf(query.limit);
    const start = offsetOf(query.after);
    // Stopped subscribers are left out: a stop reaches the service as an opt-in webhook instead.
    let all = [...tokens.values()].filter((t) => t.status !== 'stopped');
    if (query.do_not_return_duplicates === 'true') {
      const latest = new Map<string, FakeMarketingToken>();
      for (const t of all) latest.set(`${t.psid}\u0000${t.topic}`, t);
      all = [...latest.values()];
    }
    const page = all.slice(start, start + limit);
    const cursor = (i: number): string => Buffer.from(`tok:${i}`, 'utf8').toString('base64url');
    const end = start + page.length;
    const paging: Record<string, unknown> = {};
    if (page.length > 0) paging.cursors = { before: cursor(start), after: cursor(end) };
    if (end < all.length) {
      const next: Record<string, string> = { limit: String(limit), after: cursor(end) };
      if (query.do_not_return_duplicates !== undefined) next.do_not_return_duplicates = query.do_not_return_duplicates;
      paging.next = nextUrl(next);
    }
    return { data: page.map(listEntry), ...(Object.keys(paging).length > 0 ? { paging } : {}) };
  }

  const controls: FakeMarketingControls = {
    addAdAccount(id) {
      adAccounts.add(accountId(id));
    },
    addToken(t) {
      tokens.set(t.token, { ...t, createdAt: t.createdAt ?? kit.now() });
    },
    setTokenStatus(token, status) {
      const t = tokens.get(token);
      if (t !== undefined) tokens.set(token, { ...t, status });
    },
    ineligible(token, reason) {
      ineligible.set(token, reason);
    },
    setCampaignActive(campaignId, active) {
      const c = campaigns.get(campaignId);
      if (c === undefined) throw new Error(`fake.marketing: no campaign ${campaignId}`);
      c.active = active;
    },
    tokens: () => [...tokens.values()],
    campaigns: () => [...campaigns.values()].map((c) => ({ ...c })),
    sent: (psid) => (psid === undefined ? [...sends] : sends.filter((s) => s.psid === psid)),
  };

  return { controls, campaign, send, tokens: list, reset };
}
