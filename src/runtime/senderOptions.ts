import type { EffectOf, EffectType, EngineEffect } from '../engine/effects';
import type { Logger } from '../logger';
import type { GraphClient } from '../messenger/graphClient';
import type { BackoffOptions } from '../messenger/graphErrors';
import type { Metrics } from '../metrics';
import type { Store } from '../store/ports';
import type { AgentNotice } from './notifyAgents';
import type { ReplyLimit } from './userFairness';
import type { BroadcastBook } from './broadcastBook';
import type { FlowRequests } from './flowRequests';
import type { EnqueueWebhookOutcome, WebhookRequest } from '../requests/enqueueWebhook';

/** What the outbox sender and the thread-control effects it runs are given, and what one delivery attempt decides. */
export interface SenderOptions {
  readonly store: Store;
  readonly graph: GraphClient;
  readonly pageId: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly rates: { readonly text: number; readonly media: number; readonly burst: number };
  /** Longest typing pause honoured, so one slow flow cannot hold a partition's other users. */
  readonly maxTypingMs?: number;
  /** How long the Page's sending stops after Meta refuses the token or a permission (default 60 s). */
  readonly authPauseMs?: number;
  /** Where `notify` effects go (agents' webhook); absent: they are only counted. */
  readonly notify?: (notice: AgentNotice) => void;
  /** Staff who also get each notice as a Messenger message (PSIDs on this Page). */
  readonly staffPsids?: readonly string[];
  /** The inbox partition count (where a staff member's own lane is). */
  readonly partitions: number;
  /**
   * Users per partition delivered concurrently (default DEFAULT_USERS_IN_FLIGHT). More means more
   * sends per second under Graph latency, and more possible duplicates after a crash.
   */
  readonly usersInFlight?: number;
  /**
   * Longest wait between looks at an entry a newer Talkshop wrote (default 30 s): the user's
   * deliveries wait at it, other users' do not.
   */
  readonly heldRetryMs?: number;
  /** How long one user waits after a transient failure of their own (default DEFAULT_BACKOFF). */
  readonly userBackoff?: BackoffOptions;
  /** How many of one user's events get an answer (see ReplyLimit); absent: no limit. */
  readonly replyLimit?: ReplyLimit;
  /** Broadcast statuses and campaigns (a cancelled broadcast's queued entries are skipped); absent: none cancelled. */
  readonly broadcasts?: BroadcastBook;
  /** Runs flows' requests to outside APIs; absent: a request entry is dropped with a warning (outcome no_requester). */
  readonly requests?: FlowRequests;
  /** Queues an outgoing webhook (src/requests/enqueueWebhook.ts); absent: webhook entries are dropped with a warning. */
  readonly webhooks?: (request: WebhookRequest) => Promise<EnqueueWebhookOutcome>;
  /** Marketing Messages: the ad account sends go through (MARKETING_AD_ACCOUNT_ID); absent: such sends fail. */
  readonly marketing?: { readonly adAccountId: string };
}

/** An outbox entry whose effect this code knows, typed by its kind (`Delivery<'send'>`). */
export type Delivery<T extends EffectType = EffectType> = Entry<EffectOf<T>>;

/** (A plain type parameter keeps Delivery<'send'> assignable to Delivery.) */
interface Entry<E extends EngineEffect> {
  readonly id: string;
  readonly userKey: string;
  readonly itemId: string;
  readonly effect: E;
}

/**
 * done: record the entry as delivered (or deliberately dropped), counting `stat` (a broadcast's
 * counter) with the record; retry: try it again after `ms`.
 */
export type Step =
  | { readonly type: 'done'; readonly outcome: string; readonly stat?: string }
  | { readonly type: 'retry'; readonly ms?: number; readonly why: string };

/**
 * What an attempt at an entry came to: a Step, or `started` (a flow request now runs beside the
 * rounds; the entry is acknowledged when its result is in the user's inbox, see FlowRequests).
 */
export type Attempt = Step | { readonly type: 'started' };
