import { TalkshopError } from '../errors';

/**
 * Meta's Graph API errors, and what the sender does about each, decided in ONE place: the
 * GRAPH_ERROR_RULES table below. Numbers and recommendations: docs/messenger-platform.md §3.5.
 */

/**
 * - retryable: try the same request again after a backoff (transient; Meta says "retry later").
 * - rate_limited: the whole Page backs off, then resumes; the request itself is fine.
 * - unreachable_user: never send to this PSID again (blocked the Page, deactivated, not a user of it).
 * - drop: this request is wrong or pointless; do not retry it, keep sending others.
 * - outside_window: the 24 h / 7 day window is closed; drop and record, never retry.
 * - auth: token or permission problem; alert loudly and stop sending for the Page (keep the outbox).
 * - handover_disabled: the Page uses Conversation Routing; Handover Protocol calls do not work.
 * - campaign: a Marketing Messages send failed for every recipient alike (campaign not active, unknown
 *   message id or ad account): stop the broadcast and fix the campaign; no retry, no user is at fault.
 * - unknown: log and do not retry.
 */
export type GraphErrorClass =
  | 'retryable'
  | 'rate_limited'
  | 'unreachable_user'
  | 'drop'
  | 'outside_window'
  | 'auth'
  | 'handover_disabled'
  | 'campaign'
  | 'unknown';

export const GRAPH_ERROR_CLASSES: readonly GraphErrorClass[] = [
  'retryable',
  'rate_limited',
  'unreachable_user',
  'drop',
  'outside_window',
  'auth',
  'handover_disabled',
  'campaign',
  'unknown',
];

/** Where the request died without an HTTP answer; `undefined` when Graph (or something) answered. */
export type GraphTransportFailure = 'timeout' | 'network';

export interface GraphErrorDetails {
  /** HTTP status of the answer; 0 when there was none (network error, timeout). */
  readonly httpStatus: number;
  /** Meta's `error.code` (named graphCode because TalkshopError's `code` is 'GRAPH_ERROR'). */
  readonly graphCode?: number | undefined;
  readonly errorSubcode?: number | undefined;
  readonly fbtraceId?: string | undefined;
  /** Meta's `error.type`, e.g. OAuthException. */
  readonly graphType?: string | undefined;
  /** Meta's `error.message` (or our description of what went wrong). Never holds the token. */
  readonly graphMessage: string;
  /** `METHOD /path` without the query string, e.g. `POST /me/messages`. */
  readonly endpoint: string;
  readonly transport?: GraphTransportFailure | undefined;
  /**
   * false when the client refused the request before sending it (it would have been rejected by
   * Meta with the same code); true otherwise.
   */
  readonly sent?: boolean | undefined;
  /**
   * Set when the client refused the call because Graph has not been answering (its circuit
   * breaker is open): the earliest a call may be tried again, in ms.
   */
  readonly retryAfterMs?: number | undefined;
}

/** A Graph API call failed. Carries Meta's error fields; never the access token or message texts. */
export class GraphApiError extends TalkshopError implements GraphErrorDetails {
  readonly httpStatus: number;
  readonly graphCode: number | undefined;
  readonly errorSubcode: number | undefined;
  readonly fbtraceId: string | undefined;
  readonly graphType: string | undefined;
  readonly graphMessage: string;
  readonly endpoint: string;
  readonly transport: GraphTransportFailure | undefined;
  readonly sent: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(details: GraphErrorDetails) {
    super('GRAPH_ERROR', describe(details));
    this.httpStatus = details.httpStatus;
    this.graphCode = details.graphCode;
    this.errorSubcode = details.errorSubcode;
    this.fbtraceId = details.fbtraceId;
    this.graphType = details.graphType;
    this.graphMessage = details.graphMessage;
    this.endpoint = details.endpoint;
    this.transport = details.transport;
    this.sent = details.sent ?? true;
    this.retryAfterMs = details.retryAfterMs;
  }

  /** What the sender should do about it (GRAPH_ERROR_RULES). */
  get classification(): GraphErrorClass {
    return classifyGraphError(this);
  }

  /** Fields for a structured log line. */
  toLog(): Record<string, string | number | boolean | undefined> {
    return {
      endpoint: this.endpoint,
      httpStatus: this.httpStatus,
      graphCode: this.graphCode,
      errorSubcode: this.errorSubcode,
      fbtraceId: this.fbtraceId,
      transport: this.transport,
      sent: this.sent,
      classification: this.classification,
      graphMessage: this.graphMessage,
    };
  }
}

function describe(d: GraphErrorDetails): string {
  const what = d.transport !== undefined ? `${d.transport} error` : `HTTP ${d.httpStatus}`;
  const codes =
    d.graphCode === undefined ? '' : ` [code ${d.graphCode}${d.errorSubcode === undefined ? '' : `/${d.errorSubcode}`}]`;
  const trace = d.fbtraceId === undefined ? '' : ` fbtrace_id=${d.fbtraceId}`;
  const refused = d.sent === false ? ' (refused before sending)' : '';
  return `Graph API ${d.endpoint} failed${refused}: ${what}${codes} ${d.graphMessage}${trace}`;
}

/** What a rule looks at. Every present field must match. */
export interface GraphErrorMatch {
  readonly codes?: readonly number[];
  readonly subcodes?: readonly number[];
  /** 'none' = no HTTP answer at all (network error or timeout); '5xx' = any 500–599. */
  readonly http?: 'none' | '5xx' | number;
  readonly messageIncludes?: string;
  /** Matched against GraphErrorDetails.endpoint (`METHOD /path`). */
  readonly endpoint?: RegExp;
}

export interface GraphErrorRule {
  readonly match: GraphErrorMatch;
  readonly class: GraphErrorClass;
  /** Why (docs/messenger-platform.md §3.5), for readers and for logs. */
  readonly why: string;
}

/** `POST /act_<id>/messages`: the Marketing Message API's send (docs/messenger-platform.md §4.3). */
export const MARKETING_SEND_ENDPOINT = /^POST \/act_\d+\/messages$/;
/** Marketing Message API: campaign not active, invalid message id (§3.5, [S36b]). */
const CAMPAIGN_NOT_ACTIVE = 2300000;
const INVALID_MESSAGE_ID = 2300001;
const CAMPAIGN_CODES = [CAMPAIGN_NOT_ACTIVE, INVALID_MESSAGE_ID] as const;

/**
 * The classification, as data. First matching rule wins, so specific code/subcode pairs come
 * before their code's general rule, a subcode that means the same under any code comes before
 * the code rules, and HTTP-level fallbacks come last.
 */
export const GRAPH_ERROR_RULES: readonly GraphErrorRule[] = [
  {
    match: { messageIncludes: 'Handover Protocol APIs disabled' },
    class: 'handover_disabled',
    why: 'HOP call on a Conversation Routing page; pause the bot / use CR thread control',
  },
  { match: { http: 'none' }, class: 'retryable', why: 'network error or timeout: no answer from Graph' },
  {
    match: { codes: [...CAMPAIGN_CODES] },
    class: 'campaign',
    why: '2300000 / 2300001: message campaign not active / invalid message id; every send under it fails',
  },
  {
    // The digest's table ("code / subcode") reads either way; the numbers mean the same as subcodes.
    match: { subcodes: [...CAMPAIGN_CODES] },
    class: 'campaign',
    why: '…/2300000, …/2300001: message campaign not active / invalid message id',
  },
  {
    match: { codes: [100], subcodes: [33], endpoint: MARKETING_SEND_ENDPOINT },
    class: 'campaign',
    why: '100/33 on act_<id>/messages: the ad account does not exist or this token cannot use it',
  },
  {
    match: { subcodes: [1545041] },
    class: 'unreachable_user',
    why: '1545041: this person is not available right now; mark unreachable',
  },
  {
    match: { codes: [1], subcodes: [99] },
    class: 'auth',
    why: '1/99: often missing permission, Advanced Access or Business Verification; alert, no blind retry',
  },
  {
    match: { codes: [1], subcodes: [1357046] },
    class: 'unknown',
    why: '1/1357046: invalid JSON reply; the send may have succeeded — reconcile via echoes, no blind retry',
  },
  { match: { codes: [1] }, class: 'retryable', why: '1: unknown error, transient' },
  {
    match: { codes: [2] },
    class: 'retryable',
    why: '2: unexpected error, retry later (after N attempts the sender may treat it like 551)',
  },
  { match: { codes: [1200] }, class: 'retryable', why: '1200: temporary send message failure' },
  { match: { subcodes: [2018024] }, class: 'retryable', why: '2018024: temporary send message failure' },
  {
    match: { codes: [4], subcodes: [2018354] },
    class: 'drop',
    why: '4/2018354: marketing message sent faster than its frequency; skip, do not retry',
  },
  {
    match: { codes: [4, 17, 32, 613] },
    class: 'rate_limited',
    why: 'app / user / Page / custom rate limit: back off the whole Page',
  },
  {
    match: { codes: [9], subcodes: [2018352] },
    class: 'drop',
    why: '9/2018352: user performing too many actions; skip this user this cycle',
  },
  {
    match: { codes: [10], subcodes: [2018278] },
    class: 'outside_window',
    why: '10/2018278: sent outside the allowed window; drop and record',
  },
  { match: { codes: [10] }, class: 'auth', why: '10: permission missing for this action; fix permissions' },
  {
    match: { codes: [100], subcodes: [2018001] },
    class: 'unreachable_user',
    why: '100/2018001: no matching user (PSID invalid for this Page); mark the PSID dead',
  },
  { match: { codes: [100] }, class: 'drop', why: '100: invalid parameter; fix and drop, do not retry' },
  { match: { codes: [190] }, class: 'auth', why: '190: invalid or expired access token; stop the Page, alert, re-auth' },
  { match: { codes: [200] }, class: 'auth', why: '200: permissions error; no retry, check permissions' },
  { match: { codes: [551] }, class: 'unreachable_user', why: '551: this person is not available right now; mark unreachable' },
  { match: { http: 429 }, class: 'rate_limited', why: 'HTTP 429 without a Graph code (a proxy); back off' },
  { match: { http: '5xx' }, class: 'retryable', why: 'HTTP 5xx: server-side failure' },
];

function matches(m: GraphErrorMatch, e: GraphErrorDetails): boolean {
  if (m.codes !== undefined && (e.graphCode === undefined || !m.codes.includes(e.graphCode))) return false;
  if (m.subcodes !== undefined && (e.errorSubcode === undefined || !m.subcodes.includes(e.errorSubcode))) return false;
  if (m.messageIncludes !== undefined && !e.graphMessage.includes(m.messageIncludes)) return false;
  if (m.endpoint !== undefined && !m.endpoint.test(e.endpoint)) return false;
  if (m.http === 'none' && !(e.httpStatus === 0 || e.transport !== undefined)) return false;
  if (m.http === '5xx' && !(e.httpStatus >= 500 && e.httpStatus <= 599)) return false;
  if (typeof m.http === 'number' && e.httpStatus !== m.http) return false;
  return true;
}

/** The rule that decides `e`, or undefined (→ 'unknown'). */
export function graphErrorRule(e: GraphErrorDetails): GraphErrorRule | undefined {
  return GRAPH_ERROR_RULES.find((r) => matches(r.match, e));
}

/** What the sender should do about an error. Anything that is not a GraphApiError is 'unknown'. */
export function classifyGraphError(e: unknown): GraphErrorClass {
  if (!(e instanceof GraphApiError)) return 'unknown';
  return graphErrorRule(e)?.class ?? 'unknown';
}

/**
 * A Marketing Messages send refused because this subscriber cannot be reached by marketing messages
 * (token unknown, expired or stopped; a recipient region Meta refuses): skip them, with Meta's
 * message as the reason. Not a failure of the broadcast.
 */
export interface MarketingRefusal {
  readonly type: 'ineligible';
  readonly reason: 'region' | 'not_subscribed';
  readonly detail: string;
}

/** A Marketing Messages send that fails for every recipient alike (the 'campaign' class): stop the broadcast. */
export interface MarketingCampaignFailure {
  readonly type: 'campaign';
  readonly reason: 'not_active' | 'invalid_message_id' | 'ad_account';
  readonly detail: string;
}

/**
 * The fake Graph API's subcode for a refused recipient region (src/emulator/fakeMarketingMessages.ts
 * INELIGIBLE_SUBCODE, repeated because messenger/ may not import the emulator). Not Meta's: Meta
 * documents no code for it.
 */
const FAKE_REGION_SUBCODE = 2300102;
/** Regions are refused by where the recipient is (§4.3: EU, Japan, South Korea, Australia, UK). */
const REGION_WORDS = /\b(region|country|countries)\b/i;

/** A GraphApiError Meta answered (not a request refused before sending) to `POST /act_<id>/messages`. */
const marketingSendAnswer = (err: unknown): err is GraphApiError =>
  err instanceof GraphApiError && err.sent && MARKETING_SEND_ENDPOINT.test(err.endpoint);

/**
 * Why the campaign, not the recipient, made a Marketing Messages send fail, or undefined. The codes
 * are the API reference's (§3.5); 100/33 is Graph's answer for an object (here the ad account) that
 * does not exist or this token cannot use.
 */
export function marketingCampaignFailure(err: unknown): MarketingCampaignFailure | undefined {
  if (!marketingSendAnswer(err)) return undefined;
  const detail = err.graphMessage;
  const numbers = [err.graphCode, err.errorSubcode];
  if (numbers.includes(CAMPAIGN_NOT_ACTIVE)) return { type: 'campaign', reason: 'not_active', detail };
  if (numbers.includes(INVALID_MESSAGE_ID)) return { type: 'campaign', reason: 'invalid_message_id', detail };
  if (err.graphCode === 100 && err.errorSubcode === 33) return { type: 'campaign', reason: 'ad_account', detail };
  return undefined;
}

/**
 * Whether a failed `sendMarketingMessage` says this recipient is not eligible, or undefined when the
 * refusal is something else (the campaign: marketingCampaignFailure; a rate limit, a token problem,
 * a request refused before sending: classifyGraphError decides those).
 *
 * Meta documents no code for a subscriber who cannot be reached (§4.3 says only "stopped users →
 * error"), so every code 100 answered by this endpoint, other than the ad account's 100/33, is
 * taken as "this recipient is not eligible" and Meta's message kept as the reason; its subcodes
 * are not relied on. Telling a region refusal apart needs more than the code: the subcode tested is
 * the fake's own (2300102) and the message test a guess at Meta's wording, so a real refusal whose
 * message names no region reads as not_subscribed, which is skipped all the same.
 */
export function marketingRefusal(err: unknown): MarketingRefusal | undefined {
  if (!marketingSendAnswer(err) || err.graphCode !== 100 || marketingCampaignFailure(err) !== undefined) return undefined;
  const detail = err.graphMessage;
  const region = err.errorSubcode === FAKE_REGION_SUBCODE || REGION_WORDS.test(detail);
  return { type: 'ineligible', reason: region ? 'region' : 'not_subscribed', detail };
}

export interface BackoffOptions {
  /** Upper bound of the first retry's delay. */
  readonly baseMs?: number;
  /** No delay ever exceeds this. */
  readonly capMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 250, capMs: 30_000 };

/**
 * Exponential backoff with full jitter: a delay drawn uniformly from [0, min(cap, base·2^(attempt−1))).
 * `attempt` counts failures so far (1 = the first retry). `random` returns [0, 1) — Math.random in
 * production, a fixed function in tests.
 */
export function backoffMs(attempt: number, random: () => number, options: BackoffOptions = {}): number {
  const { baseMs, capMs } = { ...DEFAULT_BACKOFF, ...options };
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(exponent, 52));
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * ceiling);
}
