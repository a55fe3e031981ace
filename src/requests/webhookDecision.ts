import type { RequestOutcome } from './outboundRequest';

/** What the pump does with a tried webhook. */
export type WebhookDecision = 'delivered' | 'retry' | 'drop' | 'abandon';

/**
 * 2xx: delivered. 408, 429 and 5xx, a timeout, a network or protocol failure, a full per-host
 * queue: the receiver may recover, so retry. Any other answer (a 4xx saying the request itself is
 * wrong, a redirect) and every refusal (host not allowed, private address…): retrying cannot
 * change it, so drop at once. Aborted (the pump is stopping): leave the claim to run out, and the
 * next pump retries it.
 */
export function decideWebhook(outcome: RequestOutcome): WebhookDecision {
  switch (outcome.kind) {
    case 'response': {
      const s = outcome.status;
      if (s >= 200 && s < 300) return 'delivered';
      return s === 408 || s === 429 || s >= 500 ? 'retry' : 'drop';
    }
    case 'timeout':
      return 'retry';
    case 'refused':
      return 'drop';
    case 'failed':
      return outcome.reason === 'aborted' ? 'abandon' : 'retry';
  }
}

export interface Backoff {
  /** The wait after the first failed try (default 15 s); it doubles with each try. */
  readonly baseMs: number;
  /** The longest wait between tries (default 1 h). */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 15_000, maxMs: 3_600_000 };

/**
 * The wait before the next try after `tries` failed ones: exponential, capped, with "equal jitter"
 * (half fixed, half random) so receivers that failed together are not all retried at once.
 */
export function backoffMs(tries: number, backoff: Backoff, random: () => number): number {
  const full = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, Math.min(tries - 1, 40)));
  return Math.round(full / 2 + random() * (full / 2));
}
