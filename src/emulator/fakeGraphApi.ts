import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import {
  deleteMessengerProfileSchema,
  describeIssues,
  MESSENGER_PROFILE_FIELDS,
  messengerProfileSchema,
  passThreadControlSchema,
  releaseThreadControlSchema,
  requestThreadControlSchema,
  takeThreadControlSchema,
  USER_PROFILE_FIELDS,
  type UserProfile,
} from '../platform/graphRequestSchemas';
import { senderActionSchema, sendRequestSchema } from '../platform/sendApiSchema';
import { DEFAULT_MESSAGES, FAKE_ERRORS, type FakeGraphError, type FakeHandlerKit } from './fakeGraphError';
import { createFakeMarketing, type FakeMarketingControls } from './fakeMarketingMessages';
import { createFakeComments, type FakeCommentControls } from './fakeComments';
import { RateWindow, type RateLimit } from './fakeRateWindow';
import { createFakeWebhookEmitter, type FakeWebhookControls } from './fakeWebhookEmitter';

export { FAKE_ERRORS, type FakeGraphError } from './fakeGraphError';
export type { RateLimit } from './fakeRateWindow';

/**
 * A fake of the part of Meta's Graph API Talkshop calls, as a real HTTP server on loopback. It
 * validates every body with the same zod schemas the client uses, checks the access token (the
 * Authorization header or the access_token parameter, recording which) and appsecret_proof, answers what Meta answers (including its error envelope), records every call,
 * and can be told to fail. Used by tests, benchmarks, the demo and the browser emulator; it has no
 * test-only imports. Facts: docs/messenger-platform.md §3 (Send API, §3.5 errors), §4.4, §5.2, §6.5.
 * The Marketing Message API (§4.3) is in fakeMarketingMessages.ts; the webhooks the fake posts back
 * to the service (deliveries, reads, opt-ins) in fakeWebhookEmitter.ts.
 */

export type FakeEndpoint =
  | 'messages'
  | 'sender_action'
  | 'thread_control'
  | 'thread_owner'
  | 'user_profile'
  | 'messenger_profile'
  | 'message_campaign'
  | 'marketing_messages'
  | 'notification_message_tokens'
  /** A public reply under a comment or post (POST /<id>/comments); private replies are `messages`. */
  | 'comment_reply'
  | 'unknown';
const RECIPIENT_ENDPOINTS: readonly FakeEndpoint[] = [
  'messages',
  'marketing_messages',
  'sender_action',
  'thread_control',
  'thread_owner',
  'user_profile',
];

/** The Messenger Platform's calls, which the Page's call budget counts (the Marketing Message API is apart). */
const MESSENGER_ENDPOINTS: ReadonlySet<FakeEndpoint> = new Set<FakeEndpoint>([
  'messages',
  'sender_action',
  'thread_control',
  'thread_owner',
  'user_profile',
  'messenger_profile',
]);

export const HANDOVER_DISABLED_MESSAGE = 'Handover Protocol APIs disabled for this page.';

export interface FakeCall {
  readonly method: string;
  /** Path without the query, e.g. /v26.0/me/messages */
  readonly path: string;
  readonly endpoint: FakeEndpoint;
  /** Query parameters; access_token is replaced by '[redacted]'. */
  readonly query: Readonly<Record<string, string>>;
  /**
   * Where the access token came: the Authorization header (`Bearer`/`OAuth`), the query string
   * (where proxies, access logs and error messages keep it), both, or neither.
   */
  readonly tokenIn: TokenPlace;
  /** Parsed JSON body (undefined for none, the raw string when it was not JSON). */
  readonly body: unknown;
  /** The PSID the call was about, when there is one. */
  readonly recipientId: string | undefined;
  /** Arrival time (options.now). */
  readonly at: number;
  readonly status: number;
  /** What the fake answered (JSON body, or the raw text of a raw failure). */
  readonly response: unknown;
}

export type TokenPlace = 'header' | 'query' | 'both' | 'none';

export interface FakeRecipientFailureOptions {
  /** Fail this many matching calls, then succeed again. Default: until cleared. */
  readonly times?: number;
  /** Which calls naming the PSID fail. Default: all of them (sends, sender actions, thread control, thread owner, profile). */
  readonly endpoints?: readonly FakeEndpoint[];
}

export interface FakeFailControls {
  /** Calls naming `psid` get `error`. A later call for the same PSID replaces the earlier one. */
  recipient(psid: string, error: FakeGraphError, options?: FakeRecipientFailureOptions): void;
  clearRecipient(psid: string): void;
  /** Every call is answered with `error` (default 613) for the next `ms` milliseconds. */
  pageRateLimit(ms: number, error?: FakeGraphError): void;
  /**
   * The next `n` calls fail with `error` (default HTTP 500, code 2). With `raw`, the answer is
   * that text with content-type text/html instead of Meta's envelope (a proxy's 502, say).
   */
  nextRequests(n: number, error?: FakeGraphError & { readonly raw?: string }): void;
  /**
   * Every answer is delayed by `ms` (0 = none). The call is processed (and recorded) on arrival;
   * only the answer waits, so a client that times out may still have sent its message, as on Meta.
   */
  latency(ms: number): void;
  /**
   * Thread-control calls and thread_owner answer "Handover Protocol APIs disabled for this page."
   * As on Meta's CR pages, `passAndReleaseStillWork` lets pass/release through.
   */
  handoverDisabled(on?: boolean, options?: { readonly passAndReleaseStillWork?: boolean }): void;
  /** Every call answers 190 as if the Page token had been revoked. */
  tokenInvalid(on?: boolean): void;
  /** Removes every failure and the latency. */
  clear(): void;
}

export interface FakeGraphApiOptions {
  readonly appSecret: string;
  readonly accessToken: string;
  readonly pageId: string;
  /** The app the token belongs to (Talkshop's); it owns every thread until told otherwise. */
  readonly appId?: string;
  /** 0 (default) = any free port. */
  readonly port?: number;
  readonly host?: string;
  /** Clock for `at` and the page rate-limit window. Default Date.now. */
  readonly now?: () => number;
  /** Calls are recorded up to this many; later ones are still answered and counted. Default 100 000. */
  readonly maxRecordedCalls?: number;
  /** Answer 100 to calls without a correct appsecret_proof ("Require App Secret" on). Default true. */
  readonly requireAppsecretProof?: boolean;
  /** Enforce the Messenger Profile API's call limit (10 per 10 min per Page) with 613. Default off. */
  readonly profileCallLimit?: RateLimit;
  /**
   * Hold the Page to the Send API's rates (docs/messenger-platform.md §6.1: 300 calls/s, 10/s for
   * audio and video): every /me/messages call, a message or a sender action, counts by arrival time
   * in a sliding window of `windowMs`; at most `calls` are served, the others are answered 613
   * "Calls to this API have exceeded the rate limit" (the Send API's own limit, §6.2). Audio and
   * video attachments count in their own lane of `mediaCalls` (default 10) instead. Default off.
   */
  readonly sendRateLimit?: RateLimit & { readonly mediaCalls?: number };
  /**
   * The Page's Messenger API budget over every Messenger Platform call made with its token (sends,
   * sender actions, profile lookups, thread control, Messenger Profile; §6.1: 200 × engaged users
   * per rolling 24 h), answered with 32 "Page request limit reached": 32 is the Page's limit, 4 an
   * app token's (Talkshop only ever uses the Page's), 613 the Send API's per-second rate. Default off.
   */
  readonly pageCallBudget?: RateLimit;
  /** Profile fields answered for a PSID with none set. Default first_name Sam. */
  readonly defaultUserProfile?: UserProfile;
  /** Ad accounts (digits, `act_` optional) the Marketing Message API accepts; more with marketing.addAdAccount. */
  readonly adAccountIds?: readonly string[];
}

export interface FakeGraphApi {
  /** Base URL to use as GRAPH_API_URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  readonly appId: string;
  /** Every call, in the order processed (on arrival; answers may be delayed). Clear with clearCalls(). */
  readonly calls: readonly FakeCall[];
  /** Calls processed, including those past maxRecordedCalls. */
  readonly callCount: number;
  readonly fail: FakeFailControls;
  /** The Marketing Message API's ad accounts, campaigns, subscribers and accepted sends. */
  readonly marketing: FakeMarketingControls;
  /** Webhooks the fake posts to the service: deliveries, reads, opt-ins, comments, and automatic deliveries. */
  readonly webhooks: FakeWebhookControls;
  /** Comments and visitor posts the fake knows, and the private and public replies to them (fakeComments.ts). */
  readonly comments: FakeCommentControls;
  clearCalls(): void;
  /** Successful Send API message calls (not sender actions), optionally for one PSID. */
  sentMessages(psid?: string): FakeCall[];
  /** Told of every call as it is processed (for the emulator); returns an unsubscribe function. */
  onCall(listener: (call: FakeCall) => void): () => void;
  setThreadOwner(psid: string, appId: string | null): void;
  /** The app owning the thread (null = idle). */
  threadOwnerOf(psid: string): string | null;
  setUserProfile(psid: string, profile: UserProfile): void;
  /** The stored Messenger Profile. */
  messengerProfile(): Readonly<Record<string, unknown>>;
  /**
   * Clears calls, failures, the rate limits' windows, owners, user profiles, the Messenger Profile, marketing state (back to
   * options.adAccountIds), comments and pending automatic webhooks; the webhook target stays configured.
   */
  reset(): void;
  stop(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly raw?: string;
}

interface RecipientFailure {
  readonly error: FakeGraphError;
  remaining: number;
  readonly endpoints: readonly FakeEndpoint[];
}

class GraphFailure {
  constructor(readonly answer: Answer) {}
}

export async function startFakeGraphApi(options: FakeGraphApiOptions): Promise<FakeGraphApi> {
  const now = options.now ?? Date.now;
  const appId = options.appId ?? '100000000000001';
  const maxRecorded = options.maxRecordedCalls ?? 100_000;
  const requireProof = options.requireAppsecretProof ?? true;
  const expectedProof = createHmac('sha256', options.appSecret).update(options.accessToken).digest('hex');
  const defaultProfile: UserProfile = options.defaultUserProfile ?? {
    first_name: 'Sam',
    last_name: 'Doe',
    locale: 'en_US',
    timezone: 0,
  };

  const calls: FakeCall[] = [];
  let callCount = 0;
  let traceCounter = 0;
  let messageCounter = 0;
  const listeners = new Set<(call: FakeCall) => void>();

  // Failure state.
  let latencyMs = 0;
  let rateLimitedUntil = 0;
  let rateLimitError: FakeGraphError = FAKE_ERRORS.rateLimit;
  let nextFailures = 0;
  let nextFailure: FakeGraphError & { readonly raw?: string } = FAKE_ERRORS.transient;
  let handoverDisabled = false;
  let passAndReleaseStillWork = false;
  let tokenInvalid = false;
  const recipientFailures = new Map<string, RecipientFailure>();

  // Platform state.
  const owners = new Map<string, string | null>();
  const userProfiles = new Map<string, UserProfile>();
  let messengerProfile: Record<string, unknown> = {};
  const profileWindow = options.profileCallLimit && new RateWindow(options.profileCallLimit);
  const sendWindow = options.sendRateLimit && new RateWindow(options.sendRateLimit);
  const mediaWindow =
    options.sendRateLimit &&
    new RateWindow({ calls: options.sendRateLimit.mediaCalls ?? 10, windowMs: options.sendRateLimit.windowMs });
  const pageBudget = options.pageCallBudget && new RateWindow(options.pageCallBudget);

  const traceId = (): string => `AFake${(++traceCounter).toString(36).padStart(6, '0')}`;

  function errorAnswer(e: FakeGraphError): Answer {
    const key = e.subcode === undefined ? String(e.code) : `${e.code}/${e.subcode}`;
    const message = e.message ?? DEFAULT_MESSAGES[key] ?? DEFAULT_MESSAGES[String(e.code)] ?? `(#${e.code}) Fake Graph API error`;
    const status = e.status ?? (e.code === 1 || e.code === 2 ? 500 : 400);
    const error: Record<string, unknown> = { message, type: e.type ?? 'OAuthException', code: e.code };
    if (e.subcode !== undefined) error.error_subcode = e.subcode;
    if (e.code === 1 || e.code === 2) error.is_transient = true;
    error.fbtrace_id = traceId();
    return { status, body: { error } };
  }
  function fail(e: FakeGraphError): never {
    throw new GraphFailure(errorAnswer(e));
  }
  function invalid(message: string, subcode?: number): never {
    return fail({ code: 100, message, ...(subcode === undefined ? {} : { subcode }) });
  }

  function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) return invalid(`(#100) ${describeIssues(parsed.error)}`);
    return parsed.data;
  }

  const kit: FakeHandlerKit = { fail, parse: parseBody, now };
  const marketing = createFakeMarketing(kit, options.adAccountIds);
  const comments = createFakeComments(kit);
  const webhooks = createFakeWebhookEmitter({
    pageId: options.pageId,
    appSecret: options.appSecret,
    now,
    maxRecorded,
    onOptin(psid, o) {
      if (o.status === 'stop' || o.status === 'resume') {
        marketing.controls.setTokenStatus(o.token, o.status === 'stop' ? 'stopped' : 'active');
      } else {
        marketing.controls.addToken({ token: o.token, psid, topic: o.topic, expiresAt: o.expiresAt, status: 'active' });
      }
    },
    onComment: (c) => comments.controls.add(c),
  });
  let selfUrl = '';

  /** The bearer token of an Authorization header, if it has one. */
  const headerToken = (headers: http.IncomingHttpHeaders): string | undefined =>
    headers.authorization?.match(/^(?:Bearer|OAuth)\s+(\S+)$/i)?.[1];

  function tokenPlace(query: Record<string, string>, headers: http.IncomingHttpHeaders): TokenPlace {
    const inQuery = query.access_token !== undefined;
    const inHeader = headerToken(headers) !== undefined;
    return inQuery && inHeader ? 'both' : inQuery ? 'query' : inHeader ? 'header' : 'none';
  }

  function checkAuth(query: Record<string, string>, headers: http.IncomingHttpHeaders): void {
    // Every token given must be the Page's: a right one in the query does not excuse a wrong header.
    const tokens = [query.access_token, headerToken(headers)].filter((t): t is string => t !== undefined);
    if (tokens.length === 0)
      fail({ code: 2500, message: 'An active access token must be used to query information about the current user.' });
    if (tokenInvalid || tokens.some((t) => t !== options.accessToken)) fail(FAKE_ERRORS.tokenInvalid);
    if (!requireProof) return;
    const proof = query.appsecret_proof;
    if (proof === undefined)
      fail({ code: 100, message: 'API calls from the server require an appsecret_proof argument', type: 'GraphMethodException' });
    const given = Buffer.from(proof, 'utf8');
    const wanted = Buffer.from(expectedProof, 'utf8');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      fail({ code: 100, message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException' });
    }
  }

  function checkRecipient(endpoint: FakeEndpoint, psid: string | undefined): void {
    if (psid === undefined) return;
    const f = recipientFailures.get(psid);
    if (f === undefined || !f.endpoints.includes(endpoint)) return;
    f.remaining -= 1;
    if (f.remaining <= 0) recipientFailures.delete(psid);
    fail(f.error);
  }

  const ownerOf = (psid: string): string | null => (owners.has(psid) ? (owners.get(psid) ?? null) : appId);

  interface Routed {
    readonly endpoint: FakeEndpoint;
    readonly handle: (ctx: { query: Record<string, string>; body: unknown; setRecipient: (psid: string) => void }) => unknown;
  }

  function route(method: string, segments: readonly string[]): Routed {
    const [version, node, edge, ...rest] = segments;
    if (version === undefined || !/^v\d+\.\d+$/.test(version) || node === undefined || rest.length > 0) {
      return {
        endpoint: 'unknown',
        handle: () => fail({ code: 2500, message: `Unknown path components: /${segments.join('/')}` }),
      };
    }
    const isPage = node === 'me' || node === options.pageId;
    const unsupported = (): never => invalid(`(#100) Unsupported ${method.toLowerCase()} request.`, 33);
    if (node.startsWith('act_')) {
      if (edge === 'message_campaign')
        return {
          endpoint: 'message_campaign',
          handle: method === 'POST' ? (c) => marketing.campaign(node, c.body) : unsupported,
        };
      if (edge === 'messages')
        return {
          endpoint: 'marketing_messages',
          handle:
            method === 'POST'
              ? (c) =>
                  marketing.send(node, c.body, (psid) => {
                    c.setRecipient(psid);
                    checkRecipient('marketing_messages', psid);
                  })
              : unsupported,
        };
      return { endpoint: 'unknown', handle: () => fail({ code: 2500, message: `Unknown path components: /${edge ?? ''}` }) };
    }
    if (!isPage) {
      if (edge === 'comments')
        return { endpoint: 'comment_reply', handle: method === 'POST' ? (c) => comments.publicReply(node, c.body) : unsupported };
      if (edge !== undefined)
        return { endpoint: 'unknown', handle: () => fail({ code: 2500, message: `Unknown path components: /${edge}` }) };
      return {
        endpoint: 'user_profile',
        handle: method === 'GET' ? (c) => userProfile(node, c.query, c.setRecipient) : unsupported,
      };
    }
    switch (edge) {
      case 'messages':
        return { endpoint: 'messages', handle: method === 'POST' ? (c) => messages(c.body, c.setRecipient) : unsupported };
      case 'pass_thread_control':
      case 'take_thread_control':
      case 'request_thread_control':
      case 'release_thread_control':
        return {
          endpoint: 'thread_control',
          handle: method === 'POST' ? (c) => threadControl(edge, c.body, c.setRecipient) : unsupported,
        };
      case 'thread_owner':
        return { endpoint: 'thread_owner', handle: method === 'GET' ? (c) => threadOwner(c.query, c.setRecipient) : unsupported };
      case 'messenger_profile':
        return { endpoint: 'messenger_profile', handle: (c) => profile(method, c.query, c.body) };
      case 'notification_message_tokens':
        return {
          endpoint: 'notification_message_tokens',
          handle:
            method === 'GET'
              ? (c) => marketing.tokens(c.query, (q) => `${selfUrl}/${segments.join('/')}?${new URLSearchParams(q).toString()}`)
              : unsupported,
        };
      default:
        return { endpoint: 'unknown', handle: () => fail({ code: 2500, message: `Unknown path components: /${edge ?? ''}` }) };
    }
  }

  // ---- endpoint handlers (throw GraphFailure to answer an error) ----

  /** The Send API's per-Page rate (options.sendRateLimit): a valid call past it is answered 613. */
  function admitSend(media: boolean): void {
    const lane = media ? mediaWindow : sendWindow;
    if (lane !== undefined && !lane.admit(now())) fail(FAKE_ERRORS.rateLimit);
  }

  function messages(body: unknown, setRecipient: (psid: string) => void): unknown {
    // A private reply (§4.3b) is a Send API call too, under the same rate.
    if (comments.isPrivateReply(body)) {
      admitSend(false);
      return comments.privateReply(body, setRecipient);
    }
    const isAction = typeof body === 'object' && body !== null && 'sender_action' in body;
    if (isAction) {
      const action = parseBody(senderActionSchema, body);
      setRecipient(action.recipient.id);
      admitSend(false);
      checkRecipient('sender_action', action.recipient.id);
      return { recipient_id: action.recipient.id };
    }
    const send = parseBody(sendRequestSchema, body);
    setRecipient(send.recipient.id);
    const attachment = 'attachment' in send.message ? send.message.attachment : undefined;
    admitSend(attachment?.type === 'audio' || attachment?.type === 'video');
    checkRecipient('messages', send.recipient.id);
    messageCounter += 1;
    return { recipient_id: send.recipient.id, message_id: `m_fake_${messageCounter.toString(36)}_${traceCounter.toString(36)}` };
  }

  function threadControl(edge: string, body: unknown, setRecipient: (psid: string) => void): unknown {
    const schema =
      edge === 'pass_thread_control'
        ? passThreadControlSchema
        : edge === 'take_thread_control'
          ? takeThreadControlSchema
          : edge === 'request_thread_control'
            ? requestThreadControlSchema
            : releaseThreadControlSchema;
    const parsed = parseBody(schema as z.ZodType<{ recipient: { id: string }; target_app_id?: string }>, body);
    const psid = parsed.recipient.id;
    setRecipient(psid);
    const passOrRelease = edge === 'pass_thread_control' || edge === 'release_thread_control';
    if (handoverDisabled && !(passOrRelease && passAndReleaseStillWork)) fail({ code: 10, message: HANDOVER_DISABLED_MESSAGE });
    checkRecipient('thread_control', psid);
    if (edge === 'pass_thread_control') owners.set(psid, parsed.target_app_id ?? null);
    else if (edge === 'take_thread_control') owners.set(psid, appId);
    else if (edge === 'release_thread_control') owners.set(psid, null);
    return { success: true };
  }

  function threadOwner(query: Record<string, string>, setRecipient: (psid: string) => void): unknown {
    const psid = query.recipient;
    if (psid === undefined || psid === '') return invalid('(#100) The parameter recipient is required');
    setRecipient(psid);
    if (handoverDisabled) fail({ code: 10, message: HANDOVER_DISABLED_MESSAGE });
    checkRecipient('thread_owner', psid);
    const owner = ownerOf(psid);
    return { data: owner === null ? [] : [{ thread_owner: { app_id: owner } }] };
  }

  function userProfile(psid: string, query: Record<string, string>, setRecipient: (psid: string) => void): unknown {
    setRecipient(psid);
    const requested = (query.fields ?? 'first_name,last_name').split(',').filter((f) => f !== '');
    const unknownField = requested.find((f) => f !== 'id' && !(USER_PROFILE_FIELDS as readonly string[]).includes(f));
    if (unknownField !== undefined) invalid(`(#100) Tried accessing nonexisting field (${unknownField}) on node type (User)`);
    checkRecipient('user_profile', psid);
    const stored: Record<string, unknown> = { ...defaultProfile, ...userProfiles.get(psid) };
    const answer: Record<string, unknown> = { id: psid };
    for (const f of requested) if (stored[f] !== undefined) answer[f] = stored[f];
    return answer;
  }

  function fieldList(raw: string | undefined): string[] {
    const fields = (raw ?? '').split(',').filter((f) => f !== '');
    if (fields.length === 0) invalid('(#100) The parameter fields is required');
    const unknownField = fields.find((f) => !(MESSENGER_PROFILE_FIELDS as readonly string[]).includes(f));
    if (unknownField !== undefined)
      invalid(`(#100) Param fields[${fields.indexOf(unknownField)}] must be one of {${MESSENGER_PROFILE_FIELDS.join(', ')}}`);
    return fields;
  }

  function profile(method: string, query: Record<string, string>, body: unknown): unknown {
    if (profileWindow !== undefined && !profileWindow.admit(now())) fail(FAKE_ERRORS.rateLimit);
    if (method === 'GET') {
      const fields = fieldList(query.fields);
      const picked = Object.fromEntries(
        fields.filter((f) => messengerProfile[f] !== undefined).map((f) => [f, messengerProfile[f]]),
      );
      return { data: Object.keys(picked).length === 0 ? [] : [picked] };
    }
    if (method === 'POST') {
      const update = parseBody(messengerProfileSchema, body);
      const merged = { ...messengerProfile, ...update };
      if (merged.persistent_menu !== undefined && merged.get_started === undefined) {
        invalid('(#100) You must set a Get Started button if you also wish to use persistent menu.');
      }
      messengerProfile = merged;
      return { result: 'success' };
    }
    if (method === 'DELETE') {
      const fields =
        body === undefined && query.fields !== undefined
          ? fieldList(query.fields)
          : parseBody(deleteMessengerProfileSchema, body).fields;
      for (const f of fields) delete messengerProfile[f];
      return { result: 'success' };
    }
    return invalid(`(#100) Unsupported ${method.toLowerCase()} request.`, 33);
  }

  // ---- HTTP plumbing ----

  const pendingTimers = new Set<NodeJS.Timeout>();
  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        pendingTimers.delete(t);
        resolve();
      }, ms);
      pendingTimers.add(t);
    });

  function readBody(req: http.IncomingMessage): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= BODY_LIMIT) chunks.push(c);
      });
      req.on('end', () => resolve(size > BODY_LIMIT ? null : Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  function record(call: FakeCall): void {
    callCount += 1;
    if (calls.length < maxRecorded) calls.push(call);
    for (const l of listeners) {
      try {
        l(call);
      } catch {
        // A listener's problem is not the fake's answer's problem.
      }
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const query: Record<string, string> = Object.fromEntries(url.searchParams);
    const segments = url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const routed = route(method, segments);
    let recipientId: string | undefined;
    let body: unknown;
    let answer: Answer;
    try {
      const raw = await readBody(req);
      if (raw === null) throw new GraphFailure(errorAnswer({ code: 100, message: '(#100) Request body too large', status: 413 }));
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw) as unknown;
        } catch {
          body = raw;
        }
      }
      checkAuth(query, req.headers);
      if (nextFailures > 0) {
        nextFailures -= 1;
        const f = nextFailure;
        if (f.raw !== undefined) throw new GraphFailure({ status: f.status ?? 502, body: undefined, raw: f.raw });
        fail(f);
      }
      if (now() < rateLimitedUntil) fail(rateLimitError);
      if (pageBudget !== undefined && MESSENGER_ENDPOINTS.has(routed.endpoint) && !pageBudget.admit(now()))
        fail(FAKE_ERRORS.pageRateLimit);
      if (typeof body === 'string') invalid('(#100) Invalid JSON in the request body');
      const result = routed.handle({ query, body, setRecipient: (psid) => (recipientId = psid) });
      answer = { status: 200, body: result };
    } catch (e) {
      if (e instanceof GraphFailure) answer = e.answer;
      else
        answer = errorAnswer({
          code: 1,
          message: `Fake Graph API bug: ${e instanceof Error ? e.message : String(e)}`,
          status: 500,
        });
    }
    const endpoint: FakeEndpoint =
      routed.endpoint === 'messages' && typeof body === 'object' && body !== null && 'sender_action' in body
        ? 'sender_action'
        : routed.endpoint;
    const shownQuery = query.access_token === undefined ? query : { ...query, access_token: '[redacted]' };
    // Recorded when processed, like Meta: a call whose answer comes too late for the client was still made.
    record({
      method,
      path: url.pathname,
      endpoint,
      query: shownQuery,
      tokenIn: tokenPlace(query, req.headers),
      body,
      recipientId,
      at,
      status: answer.status,
      response: answer.raw ?? answer.body,
    });
    const mid = (answer.body as { message_id?: unknown } | undefined)?.message_id;
    if (answer.status === 200 && recipientId !== undefined && typeof mid === 'string') webhooks.accepted(recipientId, mid);
    if (latencyMs > 0) await delay(latencyMs);
    if (res.destroyed || res.writableEnded) return;
    if (answer.raw !== undefined) {
      res.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(answer.raw);
    } else {
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify(answer.body));
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  selfUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const failControls: FakeFailControls = {
    recipient(psid, error, opts = {}) {
      recipientFailures.set(psid, {
        error,
        remaining: opts.times ?? Number.POSITIVE_INFINITY,
        endpoints: opts.endpoints ?? RECIPIENT_ENDPOINTS,
      });
    },
    clearRecipient(psid) {
      recipientFailures.delete(psid);
    },
    pageRateLimit(ms, error = FAKE_ERRORS.rateLimit) {
      rateLimitedUntil = now() + ms;
      rateLimitError = error;
    },
    nextRequests(n, error = FAKE_ERRORS.transient) {
      nextFailures = n;
      nextFailure = error;
    },
    latency(ms) {
      latencyMs = Math.max(0, ms);
    },
    handoverDisabled(on = true, opts = {}) {
      handoverDisabled = on;
      passAndReleaseStillWork = opts.passAndReleaseStillWork ?? false;
    },
    tokenInvalid(on = true) {
      tokenInvalid = on;
    },
    clear() {
      recipientFailures.clear();
      rateLimitedUntil = 0;
      nextFailures = 0;
      latencyMs = 0;
      handoverDisabled = false;
      passAndReleaseStillWork = false;
      tokenInvalid = false;
    },
  };

  return {
    url: selfUrl,
    port,
    appId,
    calls,
    get callCount() {
      return callCount;
    },
    fail: failControls,
    marketing: marketing.controls,
    webhooks: webhooks.controls,
    comments: comments.controls,
    clearCalls() {
      calls.length = 0;
    },
    sentMessages(psid) {
      return calls.filter((c) => c.endpoint === 'messages' && c.status === 200 && (psid === undefined || c.recipientId === psid));
    },
    onCall(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setThreadOwner(psid, owner) {
      owners.set(psid, owner);
    },
    threadOwnerOf: ownerOf,
    setUserProfile(psid, p) {
      userProfiles.set(psid, p);
    },
    messengerProfile: () => ({ ...messengerProfile }),
    reset() {
      calls.length = 0;
      failControls.clear();
      owners.clear();
      userProfiles.clear();
      messengerProfile = {};
      profileWindow?.clear();
      sendWindow?.clear();
      mediaWindow?.clear();
      pageBudget?.clear();
      marketing.reset();
      comments.reset();
      webhooks.reset();
    },
    async stop() {
      await webhooks.stop();
      for (const t of pendingTimers) clearTimeout(t);
      pendingTimers.clear();
      listeners.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
