import {
  broadcastFields,
  broadcastStatPrefix,
  decodeBroadcastFields,
  decodeFanout,
  encodeFanout,
  isActiveBroadcast,
} from '../broadcastFields';
import type { BroadcastRecord, BroadcastStatus, BroadcastStore, FanoutPosition } from '../ports';

/**
 * Broadcasts in one process, kept as Redis keeps them (a flat field map per record, read back
 * through the same decoder) so both adapters hold a record to the same rules. The per-partition
 * counters are written by the memory store's commit and ack (`count`).
 */
export class MemoryBroadcasts implements BroadcastStore {
  private readonly records = new Map<string, Map<string, string>>();
  private readonly activeIds = new Set<string>();
  /** id → partition → audience cursor or 'done' (keys.ts `broadcastFanout`). */
  private readonly fanouts = new Map<string, Map<number, string>>();
  /** partition → `<id>|<counter>` → count (keys.ts `broadcastStats`). */
  private readonly counters = new Map<number, Map<string, number>>();

  /** Adds one to each statistic of the partition (called inside the store's commit or ack). */
  count(partition: number, fields: readonly string[]): void {
    const counts = this.counters.get(partition) ?? new Map<string, number>();
    for (const field of fields) counts.set(field, (counts.get(field) ?? 0) + 1);
    this.counters.set(partition, counts);
  }

  async create(record: BroadcastRecord): Promise<'created' | 'exists'> {
    if (this.records.has(record.id)) return 'exists';
    this.records.set(record.id, new Map(broadcastFields(record)));
    if (isActiveBroadcast(record.status)) this.activeIds.add(record.id);
    return 'created';
  }

  async get(id: string): Promise<BroadcastRecord | null> {
    const fields = this.records.get(id);
    return fields ? decodeBroadcastFields(id, Object.fromEntries(fields), `memory broadcast ${id}`) : null;
  }

  async list(limit: number): Promise<BroadcastRecord[]> {
    if (limit <= 0) return [];
    const all = await Promise.all([...this.records.keys()].map(async (id) => (await this.get(id)) as BroadcastRecord));
    // Redis's ZREVRANGE order: score (created at) descending, equal scores by id descending.
    all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return all.slice(0, limit);
  }

  async setStatus(id: string, from: readonly BroadcastStatus[], to: BroadcastStatus, at: number): Promise<boolean> {
    const fields = this.records.get(id);
    const current = fields?.get('s');
    if (!fields || current === undefined || !(from as readonly string[]).includes(current)) return false;
    fields.set('s', to);
    fields.set('u', String(at));
    if (isActiveBroadcast(to)) this.activeIds.add(id);
    else this.activeIds.delete(id);
    return true;
  }

  async setCampaign(id: string, campaign: string): Promise<string> {
    const fields = this.records.get(id);
    if (!fields) throw new Error(`No broadcast ${id} to record campaign ${campaign} on`);
    if (!fields.has('m')) fields.set('m', campaign);
    return fields.get('m') as string;
  }

  async active(): Promise<string[]> {
    return [...this.activeIds];
  }

  async fanout(id: string, partition: number): Promise<FanoutPosition> {
    return decodeFanout(this.fanouts.get(id)?.get(partition));
  }

  async setFanout(id: string, partition: number, position: FanoutPosition): Promise<void> {
    const positions = this.fanouts.get(id) ?? new Map<number, string>();
    positions.set(partition, encodeFanout(position));
    this.fanouts.set(id, positions);
  }

  async fanoutDone(id: string): Promise<number> {
    return [...(this.fanouts.get(id)?.values() ?? [])].filter((v) => v === 'done').length;
  }

  async stats(id: string, partitions: readonly number[]): Promise<Record<string, number>> {
    const prefix = broadcastStatPrefix(id);
    const sums: Record<string, number> = {};
    for (const p of new Set(partitions))
      for (const [field, n] of this.counters.get(p) ?? [])
        if (field.startsWith(prefix)) sums[field.slice(prefix.length)] = (sums[field.slice(prefix.length)] ?? 0) + n;
    return sums;
  }
}
