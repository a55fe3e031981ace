import { audienceChunk } from '../audience/audienceWalk';
import type { AudienceFilter } from '../audience/audienceFilter';
import type { AudienceMember } from '../audience/audienceWalk';
import { broadcastSchema, type BroadcastAt } from '../broadcasts/broadcastSchema';
import { nextLocalTime } from '../engine/businessHours';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { broadcastRecord } from '../broadcasts/broadcastRecord';
import type { AppendRequest, BroadcastRecord, BroadcastStore, Store } from '../store/ports';
import { timerSlot } from './threadEffects';

/** Broadcast items per partition waiting in its inbox and outbox at most: the fan-out keeps pace with the sender. */
export const DEFAULT_FANOUT_BACKLOG = 64;
/** Audience cards read per fan-out step. */
const CHUNK = 100;
/** A local-hour send due within this long goes now rather than through a timer. */
const LOCAL_SLACK_MS = 60_000;
/** How long the list of running broadcasts is reused between looks at the store. */
const ACTIVE_TTL_MS = 500;

export interface FanoutOptions {
  readonly store: Store & { readonly broadcasts: BroadcastStore };
  readonly pageId: string;
  readonly partitions: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The business clock (a fake one in tests): schedules, windows and local hours are read on it. */
  readonly now: () => number;
  /** The Page's zone (settings.timezone) for users whose own zone is unknown; default UTC. */
  readonly timezone?: string;
  readonly backlog?: number;
  /** How long the list of running broadcasts is reused (default ACTIVE_TTL_MS; tests use 0). */
  readonly activeTtlMs?: number;
}

interface Plan {
  readonly filter: AudienceFilter;
  readonly at?: BroadcastAt;
}

/**
 * Walks each running broadcast's audience, partition by partition, and puts every member's item
 * into their own inbox lane (where the policy is decided against their state). Paced: a partition
 * gets more only while its inbox and outbox hold fewer than `backlog` entries, so a broadcast never
 * buries live conversations and runs exactly as fast as the sender delivers. The place in each
 * partition is kept in the store, so a restart goes on from there; an item appended twice (a crash
 * between the append and that record) is one item (dedupe key) and one send (the lane remembers it).
 */
export class BroadcastFanout {
  private active: { readonly at: number; readonly records: Promise<BroadcastRecord[]> } | undefined;
  private readonly plans = new Map<string, Plan | null>();

  constructor(private readonly o: FanoutOptions) {}

  /** One step for one partition: true when it appended (call again at once), false when there was nothing to do. */
  async step(partition: number): Promise<boolean> {
    const { store } = this.o;
    for (const record of await this.running()) {
      const position = await store.broadcasts.fanout(record.id, partition);
      if (position.type === 'done') continue;
      const [pending] = await store.inbox.pendingCounts([partition]);
      if (position.type === 'draining') {
        // Walked: done once the lanes applied everything it appended (the partition's inbox seen
        // empty), so a broadcast marked done has every member's decision counted.
        if (pending === 0) await this.finish(record.id, partition);
        continue;
      }
      const room = (this.o.backlog ?? DEFAULT_FANOUT_BACKLOG) - (pending ?? 0) - (await store.states.outboxBacklog(partition));
      if (room <= 0) return false;
      const plan = this.plan(record);
      if (!plan || !store.audience) {
        await this.finish(record.id, partition);
        continue;
      }
      const now = this.o.now();
      const chunk = await audienceChunk(store.audience, partition, position.cursor, plan.filter, now, Math.min(CHUNK, room));
      await this.enqueue(partition, record.id, plan, chunk.members, now);
      const next = chunk.next === null ? ({ type: 'draining' } as const) : ({ type: 'at', cursor: chunk.next } as const);
      await store.broadcasts.setFanout(record.id, partition, next);
      return true;
    }
    return false;
  }

  /** Running broadcasts (a scheduled one whose time came is started here: compare-and-set, once). */
  private running(): Promise<BroadcastRecord[]> {
    const now = Date.now();
    if (this.active && now - this.active.at < (this.o.activeTtlMs ?? ACTIVE_TTL_MS)) return this.active.records;
    const records = this.load();
    this.active = { at: now, records };
    records.catch(() => (this.active = undefined));
    return records;
  }

  private async load(): Promise<BroadcastRecord[]> {
    const { broadcasts } = this.o.store;
    const records = await Promise.all((await broadcasts.active()).map((id) => broadcasts.get(id)));
    const out: BroadcastRecord[] = [];
    for (const r of records) {
      if (
        r?.status === 'scheduled' &&
        r.startAt <= this.o.now() &&
        (await broadcasts.setStatus(r.id, ['scheduled'], 'running', this.o.now()))
      )
        out.push({ ...r, status: 'running' });
      else if (r?.status === 'running') out.push(r);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }

  private plan(record: BroadcastRecord): Plan | null {
    if (!this.plans.has(record.id)) {
      let plan: Plan | null = null;
      try {
        const parsed = broadcastSchema.safeParse(JSON.parse(record.definition));
        if (parsed.success) plan = { filter: parsed.data.audience, ...(parsed.data.at ? { at: parsed.data.at } : {}) };
      } catch {
        plan = null;
      }
      if (!plan)
        this.o.logger.error({ broadcast: record.id }, 'broadcast definition unreadable by this release; its fan-out is skipped');
      this.plans.set(record.id, plan);
    }
    return this.plans.get(record.id) ?? null;
  }

  /** Members due now go to their inbox; a local-hour send due later waits in a timer of theirs (kept across restarts). */
  private async enqueue(
    partition: number,
    id: string,
    plan: Plan,
    members: readonly AudienceMember[],
    now: number,
  ): Promise<void> {
    const appends: AppendRequest[] = [];
    for (const m of members) {
      const local = plan.at?.kind === 'local' ? plan.at : undefined;
      // The user's IANA zone, else the Page's, else the profile's fixed offset (no DST), else UTC.
      const { tz } = m.card;
      const zone = typeof tz === 'string' ? tz : (this.o.timezone ?? tz ?? 'UTC');
      const due = local ? nextLocalTime(now, zone, local.hour, local.minute) : now;
      const record = broadcastRecord(this.o.pageId, m.userKey, id, Math.max(due, now));
      if (due - now > LOCAL_SLACK_MS)
        await this.o.store.timers.set(partition, timerSlot(m.userKey, `broadcast:${id}`), due, record);
      else appends.push({ partition, dedupeKey: record.event.dedupeKey, record });
    }
    if (appends.length > 0) {
      const outcome = await this.o.store.inbox.append(appends);
      this.o.metrics.broadcastFanout.inc({ outcome: 'appended' }, outcome.appended);
      if (outcome.duplicates > 0) this.o.metrics.broadcastFanout.inc({ outcome: 'duplicate' }, outcome.duplicates);
    }
  }

  /** The partition is done; the broadcast is done once every partition is. */
  private async finish(id: string, partition: number): Promise<void> {
    const { broadcasts } = this.o.store;
    await broadcasts.setFanout(id, partition, { type: 'done' });
    if ((await broadcasts.fanoutDone(id)) < this.o.partitions) return;
    if (await broadcasts.setStatus(id, ['running'], 'done', this.o.now())) {
      this.o.logger.info({ broadcast: id }, 'broadcast fan-out finished in every partition');
      this.active = undefined;
    }
  }
}

/**
 * While this worker holds a partition, runs the fan-out for it: at once while there is room and
 * audience left, else every `everyMs`. Store errors are logged and retried (the place is kept).
 */
export async function pumpBroadcasts(
  fanout: BroadcastFanout,
  partition: number,
  active: () => boolean,
  logger: Logger,
  sleep: (ms: number) => Promise<void>,
  everyMs = 200,
): Promise<void> {
  let failures = 0;
  while (active()) {
    try {
      if (await fanout.step(partition)) {
        failures = 0;
        continue;
      }
    } catch (err) {
      if (failures++ % 20 === 0) logger.warn({ err, partition }, 'broadcast fan-out step failed; retrying');
    }
    await sleep(everyMs);
  }
}
