import { z } from 'zod';
import type { Keys } from '../keys';
import type { ClaimedWebhook, WebhookEnqueueOutcome, WebhookJob, WebhookQueue } from '../ports';
import type { LuaScript, ScriptName } from './luaScript';
import type { RedisConnection } from './redisConnection';

type Scripts = Readonly<Record<ScriptName, LuaScript>>;

const jobSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  url: z.string(),
  body: z.string(),
  createdAt: z.number(),
});

/**
 * Outgoing webhooks in Redis (keys.ts `webhook…`, one hash tag): each change is one script
 * (lua/webhookEnqueue, webhookClaim, webhookSettle), so several processes can pump one queue.
 */
export class RedisWebhooks implements WebhookQueue {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: Keys,
    private readonly scripts: Scripts,
  ) {}

  private get all(): string[] {
    return [this.keys.webhookDue(), this.keys.webhookJobs(), this.keys.webhookClaims()];
  }

  async enqueue(
    job: WebhookJob,
    now: number,
    options: { readonly dedupeMs: number; readonly maxQueued: number },
  ): Promise<WebhookEnqueueOutcome> {
    const json = JSON.stringify({ id: job.id, name: job.name, url: job.url, body: job.body, createdAt: job.createdAt });
    const args = [job.id, json, String(now), String(now + options.dedupeMs), String(options.maxQueued)];
    const reply = await this.conn.run(this.scripts.webhookEnqueue, [...this.all, this.keys.webhookSeen()], args);
    if (reply === 'enqueued' || reply === 'duplicate' || reply === 'full') return reply;
    throw mismatch('webhookEnqueue', reply);
  }

  async claimDue(now: number, limit: number, leaseMs: number, claim: string): Promise<ClaimedWebhook[]> {
    if (limit <= 0) return [];
    const reply = await this.conn.run(this.scripts.webhookClaim, this.all, [
      String(now),
      String(limit),
      String(now + leaseMs),
      claim,
    ]);
    if (!Array.isArray(reply) || reply.length % 3 !== 0) throw mismatch('webhookClaim', reply);
    const claimed: ClaimedWebhook[] = [];
    for (let i = 0; i < reply.length; i += 3) {
      const id = String(reply[i]);
      const job = parseJob(String(reply[i + 1]));
      // A job nobody can read (hand edits) would come back after every lease: it goes now.
      if (!job || job.id !== id) await this.drop(id, claim);
      else claimed.push({ job, tries: Number(reply[i + 2]), claim });
    }
    return claimed;
  }

  complete(id: string, claim: string): Promise<boolean> {
    return this.settle(id, claim, 'remove');
  }

  drop(id: string, claim: string): Promise<boolean> {
    return this.settle(id, claim, 'remove');
  }

  retry(id: string, claim: string, dueAt: number): Promise<boolean> {
    return this.settle(id, claim, String(dueAt));
  }

  async size(): Promise<number> {
    return Number(await this.conn.send('webhook count', ['HLEN', this.keys.webhookJobs()]));
  }

  private async settle(id: string, claim: string, then: string): Promise<boolean> {
    if (claim === '') return false;
    return Number(await this.conn.run(this.scripts.webhookSettle, this.all, [id, claim, then])) === 1;
  }
}

function parseJob(text: string): WebhookJob | undefined {
  try {
    const parsed = jobSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const mismatch = (script: string, reply: unknown): Error =>
  new Error(`${script} script answered ${JSON.stringify(reply)}; is the Lua source in sync with redisWebhooks.ts?`);
