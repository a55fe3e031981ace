import type { ClaimedWebhook, WebhookEnqueueOutcome, WebhookJob, WebhookQueue } from '../ports';

interface Held {
  readonly job: WebhookJob;
  dueAt: number;
  tries: number;
  /** '' when no pump holds it. */
  claim: string;
}

/**
 * Outgoing webhooks in one process (the demo, tests): the same rules as the Redis adapter
 * (lua/webhook*.lua), held to them by tests/store/webhookQueueContract.test.ts.
 */
export class MemoryWebhooks implements WebhookQueue {
  private readonly jobs = new Map<string, Held>();
  /** id → until when (ms) a second enqueue is a duplicate. */
  private readonly seen = new Map<string, number>();

  async enqueue(
    job: WebhookJob,
    now: number,
    options: { readonly dedupeMs: number; readonly maxQueued: number },
  ): Promise<WebhookEnqueueOutcome> {
    for (const [id, until] of this.seen) if (until <= now) this.seen.delete(id);
    if (this.seen.has(job.id) || this.jobs.has(job.id)) return 'duplicate';
    if (this.jobs.size >= options.maxQueued) return 'full';
    this.jobs.set(job.id, { job: { ...job }, dueAt: now, tries: 0, claim: '' });
    this.seen.set(job.id, now + options.dedupeMs);
    return 'enqueued';
  }

  async claimDue(now: number, limit: number, leaseMs: number, claim: string): Promise<ClaimedWebhook[]> {
    // Redis's ZRANGEBYSCORE order: due time, then id.
    const due = [...this.jobs.values()]
      .filter((h) => h.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt || (a.job.id < b.job.id ? -1 : a.job.id > b.job.id ? 1 : 0))
      .slice(0, Math.max(0, limit));
    return due.map((held) => {
      held.tries += 1;
      held.claim = claim;
      held.dueAt = now + leaseMs;
      return { job: { ...held.job }, tries: held.tries, claim };
    });
  }

  async complete(id: string, claim: string): Promise<boolean> {
    return this.remove(id, claim);
  }

  async drop(id: string, claim: string): Promise<boolean> {
    return this.remove(id, claim);
  }

  async retry(id: string, claim: string, dueAt: number): Promise<boolean> {
    const held = this.held(id, claim);
    if (!held) return false;
    held.dueAt = dueAt;
    held.claim = '';
    return true;
  }

  async size(): Promise<number> {
    return this.jobs.size;
  }

  private remove(id: string, claim: string): boolean {
    return this.held(id, claim) !== undefined && this.jobs.delete(id);
  }

  private held(id: string, claim: string): Held | undefined {
    const held = this.jobs.get(id);
    return held && claim !== '' && held.claim === claim ? held : undefined;
  }
}
