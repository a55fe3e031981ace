import { createHash } from 'node:crypto';
import type { Logger } from '../logger';
import type { NotificationMessageToken, NotificationMessageTokensPage } from '../platform/graphRequestSchemas';
import type { GraphClient } from './graphClient';

/**
 * Marketing Messages subscribers from Meta's list (`GET /<PAGE_ID>/notification_message_tokens`,
 * docs/messenger-platform.md §4.3) into the users' inbox lanes, each as the opt-in webhook Meta
 * sends (§2.5), so the engine records the token, its expiry and the topic's consent the way it
 * records a live opt-in. For subscribers whose webhook never arrived (lost, or from before
 * Talkshop), and to refresh expiries. Tokens are credentials for messaging a person: never logged.
 */

/**
 * An inbox append (src/store/ports.ts AppendRequest, with a MessengerEvent from
 * src/store/messengerEvent.ts) as this sync writes it. Spelled out because messenger/ sits below
 * store/ in the layers (.dependency-cruiser.cjs); InboxStore.append accepts it as it is.
 */
export interface TokenOptinAppend {
  readonly partition: number;
  readonly dedupeKey: string;
  readonly record: {
    readonly source: 'admin';
    readonly event: {
      readonly kind: 'optin';
      readonly channel: 'standby';
      readonly pageId: string;
      readonly userId: string;
      readonly timestamp: number;
      readonly dedupeKey: string;
      readonly raw: Readonly<Record<string, unknown>>;
    };
  };
}

export interface MarketingTokenSyncOptions {
  readonly graph: Pick<GraphClient, 'notificationMessageTokens'>;
  readonly pageId: string;
  /** The user's inbox partition: `(psid) => partitionOf(pageId, psid, partitions)` from src/store/partitionOf.ts. */
  readonly partitionOf: (psid: string) => number;
  /** InboxStore.append: skips a dedupe key seen within the store's dedupe TTL. */
  readonly append: (requests: readonly TokenOptinAppend[]) => Promise<{ readonly appended: number; readonly duplicates: number }>;
  /** At most this many pages (of up to 1000 tokens) are read. */
  readonly maxPages: number;
  /** No page is requested after this long; a call under way is bounded by the client's timeout. */
  readonly budgetMs: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

export interface MarketingTokenSyncResult {
  readonly pages: number;
  readonly tokens: number;
  readonly appended: number;
  readonly duplicates: number;
  /** false when maxPages or the time budget stopped the sync before Meta's last page. */
  readonly complete: boolean;
}

/** `mmtoken:` and the first 32 hex of the token's SHA-256: stable per token, and no token in the store's keys. */
export function tokenDedupeKey(token: string): string {
  return `mmtoken:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}

const SECONDS = 1000;
/** Graph's times here are unix seconds; anything already in ms is taken as it is. */
const msOf = (t: number | undefined): number | undefined =>
  t === undefined || !Number.isFinite(t) || t <= 0 ? undefined : t < 1e12 ? t * SECONDS : t;
const secondsOf = (ms: number): number => Math.floor(ms / SECONDS);

/**
 * The opt-in webhook event for one listed subscriber, fields as §2.5 names them. It travels on the
 * standby channel on purpose: that is the engine's path for an opt-in that is consent only (token,
 * expiry, topic subscribed; isConsentOnly in src/engine/engineEvent.ts). On the messaging channel it
 * would read as the person acting now: a profile lookup, a mark_seen, a messaging window opened at
 * the opt-in time and the opt-in flows started again, for every subscriber a sync finds.
 */
export function tokenOptinAppend(
  pageId: string,
  entry: NotificationMessageToken,
  partition: number,
  now: number,
): TokenOptinAppend {
  const dedupeKey = tokenDedupeKey(entry.notification_messages_token);
  // When Meta says the person subscribed; the sync's time only when the list does not say.
  const timestamp = msOf(entry.creation_timestamp) ?? now;
  const expiresAt = msOf(entry.token_expiry_timestamp);
  const topic = entry.topic_title !== undefined && entry.topic_title !== '' ? entry.topic_title : undefined;
  const optin: Record<string, unknown> = {
    type: 'notification_messages',
    // Meta's opt-in carries the request's payload and title; the list only knows the title.
    ...(topic === undefined ? {} : { payload: topic, title: topic }),
    notification_messages_token: entry.notification_messages_token,
    // Ours, not Meta's: the engine keeps the token but lets a withdrawal it recorded win (Meta's
    // list can lag a STOP said to the bot, and an admin's opt-out is not Meta's to undo).
    talkshop_synced: true,
    ...(expiresAt === undefined ? {} : { token_expiry_timestamp: secondsOf(expiresAt) }),
    ...(entry.user_token_status === undefined ? {} : { user_token_status: entry.user_token_status }),
    ...(entry.notification_messages_timezone === undefined
      ? {}
      : { notification_messages_timezone: entry.notification_messages_timezone }),
  };
  return {
    partition,
    dedupeKey,
    record: {
      source: 'admin',
      event: {
        kind: 'optin',
        channel: 'standby',
        pageId,
        userId: entry.recipient_id,
        timestamp,
        dedupeKey,
        raw: { sender: { id: entry.recipient_id }, recipient: { id: pageId }, timestamp, optin },
      },
    },
  };
}

/** Graph leaves `paging.next` out on the last page. */
const isLast = (page: NotificationMessageTokensPage): boolean => page.paging?.next === undefined || page.paging.next === '';

/** The cursor of the page after `page` (not the last one), or undefined when the answer names none. */
function nextCursor(page: NotificationMessageTokensPage): string | undefined {
  const next = page.paging?.next ?? '';
  const after = page.paging?.cursors?.after;
  if (after !== undefined && after !== '') return after;
  // Some answers carry the cursor only inside the next page's URL.
  try {
    return new URL(next).searchParams.get('after') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pages through the Page's subscribers and appends one opt-in per token, page by page (what was
 * read is kept even when a later page fails; the failure is thrown as the client's GraphApiError).
 * Appends are deduplicated per token: a second sync within the store's dedupe TTL appends nothing.
 */
export async function syncMarketingTokens(o: MarketingTokenSyncOptions): Promise<MarketingTokenSyncResult> {
  if (!Number.isInteger(o.maxPages) || o.maxPages < 1) throw new RangeError(`maxPages must be a positive integer`);
  if (!(o.budgetMs > 0)) throw new RangeError(`budgetMs must be positive`);
  const now = o.now ?? Date.now;
  const started = now();
  let pages = 0;
  let tokens = 0;
  let appended = 0;
  let duplicates = 0;
  let after: string | undefined;
  let complete = false;
  while (pages < o.maxPages && now() - started < o.budgetMs) {
    const page = await o.graph.notificationMessageTokens(after);
    pages += 1;
    tokens += page.data.length;
    const at = now();
    const requests = page.data.map((entry) => tokenOptinAppend(o.pageId, entry, o.partitionOf(entry.recipient_id), at));
    if (requests.length > 0) {
      const outcome = await o.append(requests);
      appended += outcome.appended;
      duplicates += outcome.duplicates;
    }
    if (isLast(page)) {
      complete = true;
      break;
    }
    const cursor = nextCursor(page);
    if (cursor === undefined || cursor === after) {
      // Following it would read the same page again, or cannot be done: stop, reported incomplete.
      o.logger?.warn({ pages }, 'marketing token sync: a next page without a usable cursor');
      break;
    }
    after = cursor;
  }
  const result = { pages, tokens, appended, duplicates, complete };
  o.logger?.info({ marketingTokenSync: result, ms: now() - started }, 'marketing token sync');
  return result;
}
