import type { FlowSet } from '../engine/flowSet';
import { parseYamlDocument } from '../flows/yamlDocument';
import type { Problem } from '../flows/problem';
import type { AppendRequest, BroadcastRecord, BroadcastStatus, BroadcastStore, InboxStore } from '../store/ports';
import { partitionOf, userKeyOf } from '../store/partitionOf';
import { broadcastRecord } from './broadcastRecord';
import type { Broadcast } from './broadcastSchema';
import { checkBroadcast } from './loadBroadcasts';
import { dayRange, funnelReport, type FunnelReport } from './funnelReport';
import { FUNNEL_ID } from '../engine/funnel';
import { localDate } from '../engine/businessHours';

export interface BroadcastControlOptions {
  readonly broadcasts: BroadcastStore;
  readonly inbox: Pick<InboxStore, 'append'>;
  readonly pageId: string;
  readonly partitions: number;
  /** The business clock. */
  readonly now: () => number;
  /** The loaded flows (start: and payloads are checked against them). */
  readonly flows?: FlowSet;
  /** MARKETING_AD_ACCOUNT_ID: without it a marketing_message broadcast is refused. */
  readonly adAccountId?: string;
  /** Creates the Marketing Messages campaign for a broadcast and returns its message id. */
  readonly createCampaign?: (b: Broadcast) => Promise<string>;
}

export type CreateOutcome =
  | { readonly type: 'created'; readonly record: BroadcastRecord; readonly warnings: readonly Problem[] }
  | { readonly type: 'invalid'; readonly problems: readonly Problem[] }
  | { readonly type: 'exists'; readonly id: string };

export type ChangeOutcome =
  | { readonly type: 'changed'; readonly status: BroadcastStatus }
  | { readonly type: 'not_found' }
  | { readonly type: 'refused'; readonly status: BroadcastStatus; readonly why: string };

export type Change = 'pause' | 'resume' | 'cancel';

/** A broadcast as marketers see it: its record, its counters (field → count) and its fan-out's progress. */
export interface BroadcastReport {
  readonly record: BroadcastRecord;
  readonly stats: Readonly<Record<string, number>>;
  readonly partitionsWalked: number;
  readonly partitions: number;
}

/** From which statuses each change may be made, and to what. */
const MOVES: Readonly<Record<Change, { readonly from: readonly BroadcastStatus[]; readonly why: string }>> = {
  pause: { from: ['scheduled', 'running'], why: 'only a scheduled or running broadcast can be paused' },
  resume: { from: ['paused'], why: 'only a paused broadcast can be resumed' },
  cancel: { from: ['scheduled', 'running', 'paused'], why: 'a broadcast that is done or cancelled cannot be cancelled' },
};

/**
 * What marketers (CLI and admin API) do with broadcasts: create one from a definition (checked by
 * the schema and the linter exactly as `broadcast check` does; nothing invalid is ever stored),
 * send it to the admins' own PSIDs as a test, pause, resume and cancel it. Sending itself is the
 * workers' (runtime/broadcastFanout.ts and the users' lanes).
 */
export class BroadcastControl {
  constructor(private readonly o: BroadcastControlOptions) {}

  /** `text`: the definition as YAML or JSON; `by`: who creates it (admin token name, "cli"). */
  async create(text: string, source: string, by: string): Promise<CreateOutcome> {
    const checked = checkBroadcast(text, source, {
      ...(this.o.flows ? { flows: this.o.flows } : {}),
      ...(this.o.adAccountId ? { adAccountId: this.o.adAccountId } : {}),
    });
    if (!checked.ok) return { type: 'invalid', problems: checked.problems };
    const b = checked.broadcast;
    if (await this.o.broadcasts.get(b.id)) return { type: 'exists', id: b.id };
    const now = this.o.now();
    const startAt = b.at?.kind === 'instant' ? Math.max(b.at.ms, now) : now;
    const record: BroadcastRecord = {
      id: b.id,
      definition: JSON.stringify(parseYamlDocument(text).doc.toJS()),
      status: startAt > now ? 'scheduled' : 'running',
      createdAt: now,
      createdBy: by,
      startAt,
      updatedAt: now,
    };
    // The campaign exists before any send needs it (one per broadcast); a failure refuses nothing
    // stored yet, so the marketer simply tries again.
    const campaign = b.kind === 'marketing_message' && this.o.createCampaign ? await this.o.createCampaign(b) : undefined;
    if ((await this.o.broadcasts.create(campaign ? { ...record, campaign } : record)) === 'exists')
      return { type: 'exists', id: b.id };
    return { type: 'created', record, warnings: checked.warnings };
  }

  /**
   * Sends a broadcast to the admins' own PSIDs (its test_psids, or `psids`), through their lanes,
   * under the same rules (a promotional test reaches an admin only inside their window). Counted
   * nowhere and repeatable. Returns the PSIDs it went to.
   */
  async test(
    id: string,
    psids?: readonly string[],
  ): Promise<
    { readonly type: 'sent'; readonly psids: readonly string[] } | { readonly type: 'not_found' } | { readonly type: 'no_psids' }
  > {
    const record = await this.o.broadcasts.get(id);
    if (!record) return { type: 'not_found' };
    const defined = (JSON.parse(record.definition) as { test_psids?: unknown }).test_psids;
    const to = psids ?? (Array.isArray(defined) ? defined.filter((p): p is string => typeof p === 'string') : []);
    if (to.length === 0) return { type: 'no_psids' };
    const at = this.o.now();
    const requests: AppendRequest[] = to.map((psid) => {
      const record = broadcastRecord(this.o.pageId, userKeyOf(this.o.pageId, psid), id, at, true);
      return { partition: partitionOf(this.o.pageId, psid, this.o.partitions), dedupeKey: record.event.dedupeKey, record };
    });
    await this.o.inbox.append(requests);
    return { type: 'sent', psids: to };
  }

  /** The broadcast with its counters summed over every partition, and how far its fan-out got. */
  async report(id: string): Promise<BroadcastReport | null> {
    const record = await this.o.broadcasts.get(id);
    if (!record) return null;
    const partitions = Array.from({ length: this.o.partitions }, (_, p) => p);
    const [stats, walked] = await Promise.all([this.o.broadcasts.stats(id, partitions), this.o.broadcasts.fanoutDone(id)]);
    return { record, stats, partitionsWalked: walked, partitions: this.o.partitions };
  }

  /** The newest `limit` broadcasts, each with its counters and progress (one stats read per broadcast). */
  async list(limit: number): Promise<BroadcastReport[]> {
    // Drip sequences keep their campaign in the registry as `seq.<id>`: not broadcasts.
    const records = (await this.o.broadcasts.list(limit)).filter((r) => !r.id.startsWith('seq.'));
    const partitions = Array.from({ length: this.o.partitions }, (_, p) => p);
    return Promise.all(
      records.map(async (record) => {
        const [stats, walked] = await Promise.all([
          this.o.broadcasts.stats(record.id, partitions),
          this.o.broadcasts.fanoutDone(record.id),
        ]);
        return { record, stats, partitionsWalked: walked, partitions: this.o.partitions };
      }),
    );
  }

  /**
   * A flow's funnel over the `days` days ending today (the Page's zone, as the counting uses): users
   * reaching each node per day and per A/B variant, nodes in the flow's order.
   */
  async funnel(flow: string, days: number): Promise<FunnelReport> {
    const partitions = Array.from({ length: this.o.partitions }, (_, p) => p);
    const counters = await this.o.broadcasts.stats(FUNNEL_ID, partitions);
    const today = localDate(this.o.now(), this.o.flows?.settings.timezone ?? 'UTC');
    const order = Object.keys(this.o.flows?.flows.get(flow)?.flow.nodes ?? {});
    return funnelReport(counters, flow, dayRange(today, days), order);
  }

  async change(id: string, change: Change): Promise<ChangeOutcome> {
    const record = await this.o.broadcasts.get(id);
    if (!record) return { type: 'not_found' };
    const move = MOVES[change];
    // A resumed broadcast whose time has not come waits for it again.
    const to: BroadcastStatus =
      change === 'pause' ? 'paused' : change === 'cancel' ? 'cancelled' : record.startAt > this.o.now() ? 'scheduled' : 'running';
    if (await this.o.broadcasts.setStatus(id, move.from, to, this.o.now())) return { type: 'changed', status: to };
    const now = await this.o.broadcasts.get(id);
    return { type: 'refused', status: now?.status ?? record.status, why: move.why };
  }
}
