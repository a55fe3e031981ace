import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { GraphBreaker, type BreakerGate, type GraphBreakerOptions } from './graphBreaker';
import { GraphApiError } from './graphErrors';
import { createGraphTransport, GraphTransportError, type GraphMethod } from './graphTransport';
import { marketingCalls } from './marketingCalls';
import { commentCalls, type CommentCalls } from './commentCalls';
import {
  deleteMessengerProfileSchema,
  describeIssues,
  messengerProfileSchema,
  passThreadControlSchema,
  releaseThreadControlSchema,
  requestThreadControlSchema,
  successResponseSchema,
  takeThreadControlSchema,
  userProfileSchema,
  type MarketingMessageRequest,
  type MessageCampaignRequest,
  type NotificationMessageTokensPage,
  type MessengerProfile,
  type MessengerProfileField,
  type UserProfile,
  type UserProfileField,
} from '../platform/graphRequestSchemas';
import { sendRequestSchema, senderActionSchema, type SendRequest } from '../platform/sendApiSchema';

export type SenderAction = 'typing_on' | 'typing_off' | 'mark_seen';

export interface SendResult {
  readonly messageId: string;
  readonly recipientId: string;
}

/**
 * The port through which Talkshop talks to Meta's Graph API. Every method either resolves with
 * what Graph answered or rejects with a GraphApiError (classify it with classifyGraphError).
 * No method retries; the sender decides (per-entry backoff, page-wide pauses: runtime/outboxSender.ts).
 */
export interface GraphClient extends CommentCalls {
  /** Send API. The request is validated with sendRequestSchema first; invalid ones are never sent. */
  sendMessage(request: SendRequest): Promise<SendResult>;
  /** A sender action is its own request, never combined with a message. */
  senderAction(psid: string, action: SenderAction): Promise<void>;
  passThreadControl(psid: string, targetAppId: string, metadata?: string): Promise<void>;
  takeThreadControl(psid: string, metadata?: string): Promise<void>;
  requestThreadControl(psid: string, metadata?: string): Promise<void>;
  releaseThreadControl(psid: string): Promise<void>;
  /** The app id that owns the thread, or null when the thread is idle. */
  threadOwner(psid: string): Promise<string | null>;
  userProfile(psid: string, fields: readonly UserProfileField[]): Promise<UserProfile>;
  /** The stored values of `fields` ({} when none is set). Callers validate the shape they rely on. */
  getMessengerProfile(fields: readonly MessengerProfileField[]): Promise<Readonly<Record<string, unknown>>>;
  setMessengerProfile(body: MessengerProfile): Promise<void>;
  deleteMessengerProfile(fields: readonly MessengerProfileField[]): Promise<void>;
  /**
   * Marketing Messages (docs/messenger-platform.md §4.3): creates a message campaign under the ad
   * account (digits, no act_) and returns its message id, given to every send under it.
   */
  createMessageCampaign(adAccountId: string, request: MessageCampaignRequest): Promise<string>;
  /** One marketing message to one subscriber, named by their subscription token (never the PSID). */
  sendMarketingMessage(adAccountId: string, request: MarketingMessageRequest): Promise<SendResult>;
  /** One page of the Page's Marketing Messages subscribers; `after` continues from the previous page's cursor. */
  notificationMessageTokens(after?: string): Promise<NotificationMessageTokensPage>;
}

export interface GraphClientOptions {
  /** e.g. https://graph.facebook.com, or the fake's url. */
  readonly baseUrl: string;
  /** e.g. v26.0 */
  readonly version: string;
  readonly pageId: string;
  readonly accessToken: string;
  readonly appSecret: string;
  /** Per request; a slower answer is a GraphApiError with transport 'timeout'. Default 10 s. */
  readonly timeoutMs?: number;
  /** Debug lines per call (endpoint, status, ms, codes); never the token or message texts. */
  readonly logger?: Logger;
  /** Keep-alive sockets per origin. Default 64. */
  readonly maxSockets?: number;
  /** Counts every request sent, by kind (talkshop_graph_calls_total), whatever the answer. */
  readonly metrics?: Pick<Metrics, 'graphCalls' | 'graphBreakerOpen'>;
  /**
   * The circuit breaker's settings (graphBreaker.ts), or false for none. While it is open, calls
   * fail at once with a GraphApiError carrying `retryAfterMs`, and nothing is sent.
   */
  readonly breaker?: GraphBreakerOptions | false;
}

/**
 * What a Graph request is, for talkshop_graph_calls_total: Meta's limits are per kind (the Send
 * API's 300/s per Page counts messages and sender actions alike; profile lookups and the Messenger
 * Profile have their own), so the count says where a Page's calls go.
 */
export type GraphCallKind =
  'message' | 'sender_action' | 'profile' | 'thread_control' | 'thread_owner' | 'messenger_profile' | 'marketing' | 'other';

/** The kind of a request from its method, path (after the version) and body. */
export function graphCallKind(method: string, path: string, body: unknown): GraphCallKind {
  const [node = '', edge, ...rest] = path.split('/').filter((s) => s !== '');
  if (rest.length > 0) return 'other';
  if (node.startsWith('act_') || edge === 'notification_message_tokens') return 'marketing';
  if (edge === undefined) return method === 'GET' ? 'profile' : 'other';
  if (edge === 'messages') {
    return typeof body === 'object' && body !== null && 'sender_action' in body ? 'sender_action' : 'message';
  }
  if (edge.endsWith('_thread_control')) return 'thread_control';
  if (edge === 'thread_owner' || edge === 'messenger_profile') return edge;
  return 'other';
}

/** The adapter also lets its owner close its keep-alive sockets. */
export interface ClosableGraphClient extends GraphClient {
  close(): void;
}

/** HMAC-SHA256 of the access token keyed with the app secret, hex (docs/messenger-platform.md §6.5). */
export function appsecretProof(accessToken: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(accessToken).digest('hex');
}

/** Client options from the parsed configuration. */
export function graphClientOptions(config: Config, extra: Partial<GraphClientOptions> = {}): GraphClientOptions {
  return {
    baseUrl: config.GRAPH_API_URL,
    version: config.GRAPH_API_VERSION,
    pageId: config.MESSENGER_PAGE_ID,
    accessToken: config.MESSENGER_ACCESS_TOKEN,
    appSecret: config.MESSENGER_APP_SECRET,
    ...extra,
  };
}

/** Meta's error envelope; codes sometimes arrive as numeric strings. */
const num = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const errorEnvelopeSchema = z.looseObject({
  error: z.looseObject({
    message: z.string().optional(),
    type: z.string().optional(),
    code: num.optional(),
    error_subcode: num.optional(),
    fbtrace_id: z.string().optional(),
  }),
});

const sendResponseSchema = z.looseObject({ recipient_id: z.string().optional(), message_id: z.string().min(1) });
const senderActionResponseSchema = z.looseObject({ recipient_id: z.string().optional() });
const threadOwnerResponseSchema = z.looseObject({
  data: z.array(
    z.looseObject({ thread_owner: z.looseObject({ app_id: z.union([z.string(), z.number()]).transform(String) }).optional() }),
  ),
});
const messengerProfileResponseSchema = z.looseObject({ data: z.array(z.record(z.string(), z.unknown())) });
const profileResultSchema = z.looseObject({ result: z.string() });

interface CallSpec<S extends z.ZodType> {
  readonly method: GraphMethod;
  /** Path after the version, starting with '/', without the query. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly response: S;
}

export function createGraphClient(options: GraphClientOptions): ClosableGraphClient {
  const { accessToken, logger } = options;
  const proof = appsecretProof(accessToken, options.appSecret);
  const transport = createGraphTransport({
    baseUrl: options.baseUrl,
    version: options.version,
    accessToken,
    timeoutMs: options.timeoutMs ?? 10_000,
    connections: options.maxSockets ?? 64,
  });

  const breaker =
    options.breaker === false
      ? undefined
      : new GraphBreaker({
          ...options.breaker,
          onChange(change) {
            options.metrics?.graphBreakerOpen.set(change.state === 'open' ? 1 : 0);
            if (change.state === 'open')
              logger?.warn(
                { pauseMs: change.pauseMs, failures: change.failures },
                'Graph API not answering: calls paused, then one is tried (the outbox keeps every send)',
              );
            else logger?.info({ outageMs: change.outageMs }, 'Graph API answering again: calls resume');
            if (options.breaker !== false) options.breaker?.onChange?.(change);
          },
        });
  const ALWAYS: BreakerGate = { admitted: true, probe: false };

  /** Meta's messages do not echo tokens, but nothing we build into an error may carry one. */
  const scrub = (s: string): string => (s.includes(accessToken) ? s.split(accessToken).join('[redacted]') : s);

  function refuse(endpoint: string, error: z.ZodError): GraphApiError {
    return new GraphApiError({
      httpStatus: 400,
      graphCode: 100,
      graphType: 'TalkshopValidation',
      graphMessage: `(#100) ${describeIssues(error)}`,
      endpoint,
      sent: false,
    });
  }

  /** Validates `body` with `schema`; a failure becomes the code-100 error Meta would have answered. */
  function validated<S extends z.ZodType>(schema: S, body: unknown, endpoint: string): z.output<S> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw refuse(endpoint, parsed.error);
    return parsed.data;
  }

  async function call<S extends z.ZodType>(spec: CallSpec<S>): Promise<z.output<S>> {
    const endpoint = `${spec.method} ${spec.path}`;
    const gate = breaker?.admit() ?? ALWAYS;
    if (!gate.admitted) {
      throw new GraphApiError({
        httpStatus: 0,
        graphMessage: `Graph has not been answering; calls paused for another ${gate.retryInMs} ms`,
        endpoint,
        transport: 'network',
        sent: false,
        retryAfterMs: gate.retryInMs,
      });
    }
    const started = Date.now();
    let status: number;
    let data: unknown;
    // Counted as sent whatever comes back: a timeout or an error answer still used the Page's quota.
    options.metrics?.graphCalls.inc({ call: graphCallKind(spec.method, spec.path, spec.body) });
    try {
      ({ status, data } = await transport.send(spec.method, spec.path, { ...spec.query, appsecret_proof: proof }, spec.body));
    } catch (e) {
      breaker?.failed(gate.probe);
      const failure = e instanceof GraphTransportError ? e : new GraphTransportError('network', undefined);
      const err = new GraphApiError({
        httpStatus: 0,
        graphMessage:
          failure.transport === 'timeout'
            ? `no answer within ${options.timeoutMs ?? 10_000} ms`
            : `network error ${failure.code ?? 'unknown'}`,
        endpoint,
        transport: failure.transport,
      });
      logger?.debug({ graph: err.toLog(), ms: Date.now() - started }, 'graph call failed');
      throw err;
    }
    if (status >= 500) breaker?.failed(gate.probe);
    else breaker?.succeeded(gate.probe);
    const ms = Date.now() - started;
    if (status >= 200 && status < 300) {
      const parsed = spec.response.safeParse(data);
      if (parsed.success) {
        logger?.debug({ graph: { endpoint, httpStatus: status }, ms }, 'graph call');
        return parsed.data;
      }
      const err = new GraphApiError({
        httpStatus: status,
        graphMessage: `unexpected response: ${describeIssues(parsed.error)}`,
        endpoint,
      });
      logger?.debug({ graph: err.toLog(), ms }, 'graph call answered unexpectedly');
      throw err;
    }
    const envelope = errorEnvelopeSchema.safeParse(data);
    const err = envelope.success
      ? new GraphApiError({
          httpStatus: status,
          graphCode: envelope.data.error.code,
          errorSubcode: envelope.data.error.error_subcode,
          fbtraceId: envelope.data.error.fbtrace_id,
          graphType: envelope.data.error.type,
          graphMessage: scrub(envelope.data.error.message ?? 'no message'),
          endpoint,
        })
      : new GraphApiError({
          httpStatus: status,
          graphMessage: `no Graph error envelope${typeof data === 'string' && data.length > 0 ? `: ${scrub(data.slice(0, 120))}` : ''}`,
          endpoint,
        });
    logger?.debug({ graph: err.toLog(), ms }, 'graph call failed');
    throw err;
  }

  async function threadControl(path: string, schema: z.ZodType, body: unknown): Promise<void> {
    const endpoint = `POST ${path}`;
    const answer = await call({ method: 'POST', path, body: validated(schema, body, endpoint), response: successResponseSchema });
    if (!answer.success) throw new GraphApiError({ httpStatus: 200, graphMessage: 'Graph answered success: false', endpoint });
  }

  return {
    async sendMessage(request) {
      const body = validated(sendRequestSchema, request, 'POST /me/messages');
      const answer = await call({ method: 'POST', path: '/me/messages', body, response: sendResponseSchema });
      return { messageId: answer.message_id, recipientId: answer.recipient_id ?? body.recipient.id };
    },

    async senderAction(psid, action) {
      const body = validated(senderActionSchema, { recipient: { id: psid }, sender_action: action }, 'POST /me/messages');
      await call({ method: 'POST', path: '/me/messages', body, response: senderActionResponseSchema });
    },

    passThreadControl: (psid, targetAppId, metadata) =>
      threadControl('/me/pass_thread_control', passThreadControlSchema, {
        recipient: { id: psid },
        target_app_id: targetAppId,
        metadata,
      }),
    takeThreadControl: (psid, metadata) =>
      threadControl('/me/take_thread_control', takeThreadControlSchema, { recipient: { id: psid }, metadata }),
    requestThreadControl: (psid, metadata) =>
      threadControl('/me/request_thread_control', requestThreadControlSchema, { recipient: { id: psid }, metadata }),
    releaseThreadControl: (psid) =>
      threadControl('/me/release_thread_control', releaseThreadControlSchema, { recipient: { id: psid } }),

    async threadOwner(psid) {
      const answer = await call({
        method: 'GET',
        path: '/me/thread_owner',
        query: { recipient: psid },
        response: threadOwnerResponseSchema,
      });
      return answer.data.find((d) => d.thread_owner !== undefined)?.thread_owner?.app_id ?? null;
    },

    async userProfile(psid, fields) {
      const answer = await call({
        method: 'GET',
        path: `/${encodeURIComponent(psid)}`,
        query: { fields: fields.join(',') },
        response: userProfileSchema,
      });
      const profile: { -readonly [K in keyof UserProfile]: UserProfile[K] } = {};
      if (answer.first_name !== undefined) profile.first_name = answer.first_name;
      if (answer.last_name !== undefined) profile.last_name = answer.last_name;
      if (answer.profile_pic !== undefined) profile.profile_pic = answer.profile_pic;
      if (answer.locale !== undefined) profile.locale = answer.locale;
      if (answer.timezone !== undefined) profile.timezone = answer.timezone;
      return profile;
    },

    async getMessengerProfile(fields) {
      const answer = await call({
        method: 'GET',
        path: '/me/messenger_profile',
        query: { fields: fields.join(',') },
        response: messengerProfileResponseSchema,
      });
      return Object.assign({}, ...answer.data) as Record<string, unknown>;
    },

    async setMessengerProfile(profile) {
      const body = validated(messengerProfileSchema, profile, 'POST /me/messenger_profile');
      await call({ method: 'POST', path: '/me/messenger_profile', body, response: profileResultSchema });
    },

    async deleteMessengerProfile(fields) {
      const body = validated(deleteMessengerProfileSchema, { fields }, 'DELETE /me/messenger_profile');
      await call({ method: 'DELETE', path: '/me/messenger_profile', body, response: profileResultSchema });
    },

    // Marketing Messages (§4.3): campaigns, sends by subscription token, the Page's token list.
    ...marketingCalls({ call, validated, pageId: options.pageId }),
    // Private and public replies to comments (§4.3b).
    ...commentCalls({ call, validated }),

    close() {
      transport.close();
    },
  };
}
