import type { RequestSettings } from '../engine/requestSettings';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { WebhookQueue } from '../store/ports';
import { checkUrl } from './urlPolicy';

/** A webhook as the runtime asks for it: the effect's id dedupes a replayed outbox entry. */
export interface WebhookRequest {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  /** JSON; serialised once here, and exactly those bytes are signed and sent on every try. */
  readonly body: unknown;
}

export type EnqueueWebhookOutcome =
  | { readonly kind: 'enqueued' }
  | { readonly kind: 'duplicate' }
  | {
      readonly kind: 'refused';
      readonly reason: 'bad_url' | 'scheme' | 'host_not_allowed' | 'private_address' | 'too_large' | 'full';
    };

export interface EnqueueWebhookOptions {
  /** How long an id stays a duplicate after it was enqueued (default 7 days: longer than any outbox replay). */
  readonly dedupeMs?: number;
  /** Jobs the queue may hold (default 100,000); more are refused and counted, never piled up. */
  readonly maxQueued?: number;
  /** The JSON body's size limit in bytes (default 64 KB). */
  readonly maxBodyBytes?: number;
  readonly metrics?: Pick<Metrics, 'webhooksOut'>;
  readonly logger?: Logger;
}

export const WEBHOOK_DEDUPE_MS = 7 * 24 * 3600_000;
export const MAX_QUEUED_WEBHOOKS = 100_000;
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;

/**
 * Queues an outgoing webhook for the pump (webhookPump.ts), durably, once per id. A URL the
 * settings could never allow is refused here rather than tried max_tries times. Store errors are
 * thrown: the caller (the outbox sender) tries the entry again, and the id keeps it single.
 */
export async function enqueueWebhook(
  queue: WebhookQueue,
  settings: Pick<RequestSettings, 'hosts'>,
  request: WebhookRequest,
  now: number,
  options: EnqueueWebhookOptions = {},
): Promise<EnqueueWebhookOutcome> {
  const outcome = await decide(queue, settings, request, now, options);
  const label = outcome.kind === 'refused' ? `refused_${outcome.reason}` : outcome.kind;
  options.metrics?.webhooksOut.inc({ name: request.name, outcome: label });
  if (outcome.kind === 'refused')
    options.logger?.warn({ webhook: request.name, id: request.id, outcome: label }, 'outgoing webhook refused');
  return outcome;
}

async function decide(
  queue: WebhookQueue,
  settings: Pick<RequestSettings, 'hosts'>,
  request: WebhookRequest,
  now: number,
  options: EnqueueWebhookOptions,
): Promise<EnqueueWebhookOutcome> {
  const checked = checkUrl(settings, request.url);
  if (!checked.ok) return { kind: 'refused', reason: checked.reason };
  const body = JSON.stringify(request.body) ?? 'null';
  if (Buffer.byteLength(body) > (options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES)) return { kind: 'refused', reason: 'too_large' };
  const job = { id: request.id, name: request.name, url: request.url, body, createdAt: now };
  const limits = { dedupeMs: options.dedupeMs ?? WEBHOOK_DEDUPE_MS, maxQueued: options.maxQueued ?? MAX_QUEUED_WEBHOOKS };
  const stored = await queue.enqueue(job, now, limits);
  return stored === 'full' ? { kind: 'refused', reason: 'full' } : { kind: stored };
}
