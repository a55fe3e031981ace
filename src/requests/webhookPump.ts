import { randomUUID } from 'node:crypto';
import type { RequestSettings, WebhookSettings } from '../engine/requestSettings';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { ClaimedWebhook, WebhookQueue } from '../store/ports';
import { outcomeLabel } from './outboundRequest';
import type { Requester } from './safeRequester';
import { backoffMs, decideWebhook, DEFAULT_BACKOFF, type Backoff } from './webhookDecision';
import { signWebhook, WEBHOOK_HEADERS } from './webhookSignature';

export interface WebhookPumpOptions {
  readonly queue: WebhookQueue;
  /** The same requester (and so the same allow-list and address checks) as flow requests. */
  readonly requester: Requester;
  readonly settings: { readonly requests: RequestSettings; readonly webhooks: WebhookSettings };
  /** The HMAC key (webhookSigningKey reads it from the environment). */
  readonly signingKey: string;
  readonly logger: Logger;
  readonly metrics?: Pick<Metrics, 'webhooksOut'>;
  readonly now?: () => number;
  readonly random?: () => number;
  /** How often an idle pump looks for due jobs (default 1 s). */
  readonly pollMs?: number;
  /** Tries this pump has in flight at most (default 16). */
  readonly batch?: number;
  /** How long a claim holds a job (default twice the request timeout plus 30 s: a try always ends first). */
  readonly leaseMs?: number;
  readonly backoff?: Backoff;
  /** The wait before a failed store call is tried again (default 1 s). */
  readonly storeRetryMs?: number;
}

export interface WebhookPump {
  /**
   * Stops claiming and aborts tries in flight without settling them: like a crash, their claims
   * run out and another pump (or this one, restarted) tries them again with the same delivery id.
   */
  stop(): Promise<void>;
}

/** The signing key from the environment variable settings `webhooks.signing_secret` names. */
export function webhookSigningKey(settings: WebhookSettings, env: (name: string) => string | undefined): string {
  const key = env(settings.signing_secret);
  if (key === undefined || key.length < 16)
    throw new ConfigError([
      `${settings.signing_secret} must be set to a random secret of 16 characters or more: outgoing webhooks are signed with it (settings.yaml webhooks.signing_secret names the variable)`,
    ]);
  return key;
}

/**
 * Sends queued outgoing webhooks: claims due jobs (several processes may run a pump; a claim is
 * a lease), posts each signed through the safe requester, then completes, retries with backoff,
 * or drops it (after webhooks.max_tries, or on an answer retrying cannot change: webhookDecision).
 * Store errors are retried until the store answers or the pump stops; work is never dropped for them.
 */
export function startWebhookPump(options: WebhookPumpOptions): WebhookPump {
  const { queue, requester, settings, logger, metrics } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const pollMs = options.pollMs ?? 1000;
  const batch = options.batch ?? 16;
  const timeoutMs = settings.requests.timeout_ms;
  const leaseMs = Math.max(options.leaseMs ?? 2 * timeoutMs + 30_000, timeoutMs + 1000);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const storeRetryMs = options.storeRetryMs ?? 1000;
  const stopping = new AbortController();

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  /** Runs a store call until it answers; undefined only when the pump stops first. */
  async function stored<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    while (!stopping.signal.aborted) {
      try {
        return await call();
      } catch (err) {
        logger.warn({ err, operation: what }, 'webhook queue call failed; retrying');
        await pause(storeRetryMs);
      }
    }
    return undefined;
  }

  async function settle(c: ClaimedWebhook, decision: 'delivered' | 'retry' | 'drop', detail: string): Promise<void> {
    const { id, name } = c.job;
    const giveUp = decision === 'drop' || (decision === 'retry' && c.tries >= settings.webhooks.max_tries);
    const held =
      decision === 'delivered'
        ? await stored('complete', () => queue.complete(id, c.claim))
        : giveUp
          ? await stored('drop', () => queue.drop(id, c.claim))
          : await stored('retry', () => queue.retry(id, c.claim, now() + backoffMs(c.tries, backoff, random)));
    if (held === undefined) return; // stopping: the claim runs out and the job comes back
    if (!held) {
      logger.warn(
        { webhook: name, id, tries: c.tries },
        'outgoing webhook: claim ran out before its try ended; another pump has it',
      );
      return;
    }
    const outcome = decision === 'delivered' ? 'delivered' : giveUp ? 'dropped' : 'retried';
    metrics?.webhooksOut.inc({ name, outcome });
    if (outcome === 'dropped') logger.warn({ webhook: name, id, tries: c.tries, last: detail }, 'outgoing webhook dropped');
    else logger.info({ webhook: name, id, tries: c.tries, outcome, last: detail }, 'outgoing webhook tried');
  }

  async function deliver(c: ClaimedWebhook): Promise<void> {
    // Tries that died with their pump count: a job that crashes every pump still ends.
    if (c.tries > settings.webhooks.max_tries) return settle(c, 'drop', 'tries_used_up');
    const timestamp = Math.floor(now() / 1000);
    const outcome = await requester.request(
      {
        method: 'POST',
        url: c.job.url,
        headers: {
          [WEBHOOK_HEADERS.signature]: signWebhook(options.signingKey, timestamp, c.job.body),
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.delivery]: c.job.id,
          [WEBHOOK_HEADERS.attempt]: String(c.tries),
        },
        body: c.job.body,
        timeoutMs,
        name: c.job.name,
        ignoreBody: true,
      },
      stopping.signal,
    );
    const decision = decideWebhook(outcome);
    if (decision !== 'abandon') await settle(c, decision, outcomeLabel(outcome));
  }

  /** A bug, not an outcome: logged; the claim runs out and the job is tried again. */
  function unexpected(c: ClaimedWebhook, err: unknown): void {
    logger.error(
      { err, webhook: c.job.name, id: c.job.id },
      'outgoing webhook try failed unexpectedly; it is retried after its lease',
    );
  }

  // Up to `batch` tries in flight; a slot freed by a quick receiver is refilled at once, without
  // waiting for a slow one in the same claim.
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const room = batch - inFlight.size;
      if (room === 0) {
        await Promise.race(inFlight);
        continue;
      }
      const claimed = await stored('claim', () => queue.claimDue(now(), room, leaseMs, randomUUID()));
      if (claimed === undefined) break;
      for (const c of claimed) {
        const running: Promise<void> = deliver(c)
          .catch((err: unknown) => unexpected(c, err))
          .finally(() => inFlight.delete(running));
        inFlight.add(running);
      }
      if (claimed.length < room) await pause(pollMs); // nothing more is due now
    }
    await Promise.all(inFlight);
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
