import { backoffMs, classifyGraphError, GraphApiError } from '../messenger/graphErrors';
import { pageRateBucket } from '../store/keys';
import type { Delivery, SenderOptions, Step } from './senderOptions';
import { isStoreUnavailable } from './storeRetry';

/**
 * Consecutive page-wide rate-limit answers, kept by the sender: each one doubles the page's pause
 * (with jitter). Answers to calls that were already in flight when the Page paused say nothing new
 * and do not count: the calls of one moment, refused together, pause the Page once, not once each.
 */
export interface RateLimitStreak {
  count: number;
  /** When the pause this sender set last ends (ms, this process's clock); 0 = none. */
  pausedUntil?: number;
}

/**
 * A store that does not answer says nothing about the entry or about Meta: the entry waits and is
 * tried again (the round's backoff grows while the outage lasts). Dropping it would lose a reply,
 * an armed handover timer or a handover report.
 */
const STORE_RETRY: Step = { type: 'retry', why: 'store_unavailable' };

/** What a failed delivery attempt means for its entry: a store outage is retried, anything else goes by Meta's error table. */
export async function onDeliveryError(
  o: SenderOptions,
  streak: RateLimitStreak,
  partition: number,
  entry: Delivery,
  err: unknown,
): Promise<Step> {
  if (isStoreUnavailable(err)) return STORE_RETRY;
  try {
    return await onGraphError(o, streak, partition, entry, err);
  } catch (storeErr) {
    // Recording what Meta said (a 551, a Page pause) needs the store too.
    if (isStoreUnavailable(storeErr)) return STORE_RETRY;
    throw storeErr;
  }
}

/** Pauses both of the Page's send lanes in the shared bucket: every process stops sending for it. */
const pausePage = (o: SenderOptions, ms: number): Promise<unknown> =>
  Promise.all((['text', 'media'] as const).map((lane) => o.store.rateLimits.pause(pageRateBucket(o.pageId, lane), ms)));

async function onGraphError(
  o: SenderOptions,
  streak: RateLimitStreak,
  partition: number,
  entry: Delivery,
  err: unknown,
): Promise<Step> {
  const kind = classifyGraphError(err);
  o.metrics.graphErrors.inc({ class: kind });
  const where = { partition, entryId: entry.id, effect: entry.effect.type, class: kind };
  switch (kind) {
    case 'retryable':
      // Graph has not been answering anyone (the client's breaker): the whole round waits it out.
      if (err instanceof GraphApiError && err.retryAfterMs !== undefined)
        return { type: 'retry', ms: err.retryAfterMs, why: 'graph_unavailable' };
      return { type: 'retry', why: kind }; // exponential backoff with jitter, capped
    case 'rate_limited': {
      const now = Date.now();
      const pausedUntil = streak.pausedUntil ?? 0;
      if (now < pausedUntil) return { type: 'retry', ms: pausedUntil - now, why: kind };
      // The whole Page backs off, every process: the pause lives in the shared bucket.
      streak.count += 1;
      const pauseMs = backoffMs(streak.count, Math.random, { baseMs: 1000, capMs: 60_000 });
      streak.pausedUntil = now + pauseMs;
      await pausePage(o, pauseMs);
      o.logger.warn({ ...where, pauseMs }, 'Meta rate-limited the Page; all sends for it pause');
      return { type: 'retry', ms: pauseMs, why: kind };
    }
    case 'unreachable_user':
      await o.store.states.markUnreachable(partition, entry.userKey, o.now());
      return { type: 'done', outcome: 'unreachable' };
    case 'outside_window':
      return { type: 'done', outcome: 'outside_window' };
    case 'auth': {
      o.logger.error(
        { ...where, err },
        'ALERT: Meta refused the Page token or permission; sending paused for this Page, outbox kept',
      );
      const pauseMs = o.authPauseMs ?? 60_000;
      await pausePage(o, pauseMs);
      return { type: 'retry', ms: pauseMs, why: kind };
    }
    default:
      o.logger.warn({ ...where, err }, 'delivery dropped');
      return { type: 'done', outcome: kind };
  }
}
