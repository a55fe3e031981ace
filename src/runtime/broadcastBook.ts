import type { BroadcastSend } from '../engine/broadcastSend';
import type { Settings } from '../engine/flowSchema';
import { broadcastSchema } from '../broadcasts/broadcastSchema';
import { toBroadcastSend } from '../broadcasts/toBroadcastSend';
import type { BroadcastStatus, BroadcastStore } from '../store/ports';

/** What a worker needs to know about a broadcast while applying and sending it. */
export interface BroadcastInfo {
  readonly send: BroadcastSend;
  readonly status: BroadcastStatus;
  /** Marketing Messages: the campaign's message id, once created. */
  readonly campaign?: string;
}

interface Entry {
  readonly send: BroadcastSend | null;
  status: BroadcastStatus;
  campaign?: string;
  checkedAt: number;
}

/** Registry ids of the drip sequences' campaign records (never a broadcast: `.` is not in a broadcast id). */
export const SEQUENCE_RECORD_PREFIX = 'seq.';

/** Broadcasts remembered per process; definitions never change, statuses are looked at again after STATUS_TTL_MS. */
const KEPT = 200;
export const STATUS_TTL_MS = 1000;

/**
 * The broadcasts a worker meets, read from the store once (a definition never changes after
 * creation) with their status looked at again at most every second: a pause or cancel reaches
 * every worker within about a second. A definition this release cannot read counts as unknown
 * (its users are skipped as cancelled), never as a crash of the lane.
 */
export class BroadcastBook {
  private readonly entries = new Map<string, Entry>();
  private readonly campaigns = new Map<string, Promise<string>>();

  constructor(
    private readonly store: BroadcastStore,
    private readonly settings: Pick<Settings, 'proactive_caps'>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The broadcast, fresh enough; null when the store has no such broadcast (or one this release cannot read). */
  async lookup(id: string): Promise<BroadcastInfo | null> {
    const known = this.entries.get(id);
    if (known && this.clock() - known.checkedAt < STATUS_TTL_MS) return this.info(known);
    const record = await this.store.get(id);
    if (!record) {
      this.entries.delete(id);
      return null;
    }
    const entry: Entry = known ?? { send: this.parse(record.definition), status: record.status, checkedAt: 0 };
    entry.status = record.status;
    entry.checkedAt = this.clock();
    if (record.campaign !== undefined) entry.campaign = record.campaign;
    if (!known) {
      if (this.entries.size >= KEPT) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(id, entry);
    }
    return this.info(entry);
  }

  /**
   * The Marketing Messages campaign of a drip sequence: one per sequence, kept in the broadcast
   * registry as `seq.<sequence>` (a `.` is never in a broadcast id, and lists leave these out),
   * made at Meta with `create` on the sequence's first marketing message. Two processes racing may
   * both make one; the registry keeps the first, and both send under it from then on.
   */
  sequenceCampaign(sequence: string, create: () => Promise<string>): Promise<string> {
    const id = `${SEQUENCE_RECORD_PREFIX}${sequence}`;
    // One lookup (and at most one campaign made) per process, however many lanes ask at once.
    let campaign = this.campaigns.get(id);
    if (!campaign) {
      campaign = this.campaignOf(id, sequence, create);
      this.campaigns.set(id, campaign);
      campaign.catch(() => this.campaigns.delete(id)); // a failure is tried again by the next send
    }
    return campaign;
  }

  private async campaignOf(id: string, sequence: string, create: () => Promise<string>): Promise<string> {
    let record = await this.store.get(id);
    if (!record) {
      const now = this.clock();
      const fresh = {
        id,
        definition: JSON.stringify({ sequence }),
        status: 'done' as const,
        createdAt: now,
        createdBy: 'sequence',
        startAt: now,
        updatedAt: now,
      };
      await this.store.create(fresh);
      record = (await this.store.get(id)) ?? fresh;
    }
    return record.campaign ?? this.store.setCampaign(id, await create());
  }

  /** What the last lookup found, without I/O (the pure handler's view): undefined if never looked up. */
  peek(id: string): BroadcastInfo | null | undefined {
    const known = this.entries.get(id);
    return known === undefined ? undefined : this.info(known);
  }

  private info(e: Entry): BroadcastInfo | null {
    if (!e.send) return null;
    return { send: e.send, status: e.status, ...(e.campaign === undefined ? {} : { campaign: e.campaign }) };
  }

  private parse(definition: string): BroadcastSend | null {
    try {
      const parsed = broadcastSchema.safeParse(JSON.parse(definition));
      return parsed.success ? toBroadcastSend(parsed.data, this.settings) : null;
    } catch {
      return null;
    }
  }
}
