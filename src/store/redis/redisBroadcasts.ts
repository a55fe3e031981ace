import {
  broadcastFields,
  broadcastStatPrefix,
  decodeBroadcastFields,
  decodeFanout,
  encodeFanout,
  isActiveBroadcast,
} from '../broadcastFields';
import type { Keys } from '../keys';
import type { BroadcastRecord, BroadcastStatus, BroadcastStore, FanoutPosition } from '../ports';
import type { LuaScript, ScriptName } from './luaScript';
import type { RedisConnection } from './redisConnection';

type Scripts = Readonly<Record<ScriptName, LuaScript>>;

/** Fields asked for per HSCAN call of a partition's statistics hash. */
const STATS_SCAN_COUNT = 1000;

/**
 * Broadcasts in Redis: the records, index, active set and fan-out positions under one hash tag
 * (keys.ts `broadcast…`), and the statistics read from each partition's counters, which the
 * commit and outbox-ack scripts write.
 */
export class RedisBroadcasts implements BroadcastStore {
  constructor(
    private readonly conn: RedisConnection,
    private readonly keys: Keys,
    private readonly scripts: Scripts,
  ) {}

  async create(record: BroadcastRecord): Promise<'created' | 'exists'> {
    const keys = [this.keys.broadcast(record.id), this.keys.broadcastIndex(), this.keys.broadcastActive()];
    const args = [record.id, String(record.createdAt), isActiveBroadcast(record.status) ? '1' : '0'];
    args.push(...broadcastFields(record).flat());
    return Number(await this.conn.run(this.scripts.broadcastCreate, keys, args)) === 1 ? 'created' : 'exists';
  }

  async get(id: string): Promise<BroadcastRecord | null> {
    const key = this.keys.broadcast(id);
    const reply = await this.conn.send('broadcast read', ['HGETALL', key]);
    const flat = Array.isArray(reply) ? reply.map(String) : [];
    if (flat.length === 0) return null;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
    return decodeBroadcastFields(id, fields, key);
  }

  async list(limit: number): Promise<BroadcastRecord[]> {
    if (limit <= 0) return [];
    const reply = await this.conn.send('broadcast list', ['ZREVRANGE', this.keys.broadcastIndex(), '0', String(limit - 1)]);
    const ids = Array.isArray(reply) ? reply.map(String) : [];
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is BroadcastRecord => r !== null);
  }

  async setStatus(id: string, from: readonly BroadcastStatus[], to: BroadcastStatus, at: number): Promise<boolean> {
    const keys = [this.keys.broadcast(id), this.keys.broadcastActive()];
    const args = [id, to, isActiveBroadcast(to) ? '1' : '0', String(at), ...from];
    return Number(await this.conn.run(this.scripts.broadcastStatus, keys, args)) === 1;
  }

  async setCampaign(id: string, campaign: string): Promise<string> {
    const kept = await this.conn.run(this.scripts.broadcastCampaign, [this.keys.broadcast(id)], [campaign]);
    if (typeof kept !== 'string') throw new Error(`No broadcast ${id} to record campaign ${campaign} on`);
    return kept;
  }

  async active(): Promise<string[]> {
    const reply = await this.conn.send('broadcasts active', ['SMEMBERS', this.keys.broadcastActive()]);
    return Array.isArray(reply) ? reply.map(String) : [];
  }

  async fanout(id: string, partition: number): Promise<FanoutPosition> {
    const reply = await this.conn.send('fanout read', ['HGET', this.keys.broadcastFanout(id), String(partition)]);
    return decodeFanout(typeof reply === 'string' ? reply : undefined);
  }

  async setFanout(id: string, partition: number, position: FanoutPosition): Promise<void> {
    await this.conn.send('fanout write', ['HSET', this.keys.broadcastFanout(id), String(partition), encodeFanout(position)]);
  }

  async fanoutDone(id: string): Promise<number> {
    const reply = await this.conn.send('fanout done', ['HVALS', this.keys.broadcastFanout(id)]);
    return Array.isArray(reply) ? reply.filter((v) => String(v) === 'done').length : 0;
  }

  async stats(id: string, partitions: readonly number[]): Promise<Record<string, number>> {
    const prefix = broadcastStatPrefix(id);
    // Every partition at once: node-redis pipelines concurrent commands on one connection.
    const perPartition = await Promise.all([...new Set(partitions)].map((p) => this.partitionStats(p, prefix)));
    const sums: Record<string, number> = {};
    for (const counts of perPartition) for (const [counter, n] of counts) sums[counter] = (sums[counter] ?? 0) + n;
    return sums;
  }

  /** One partition's counters of a broadcast: its fields of the statistics hash, prefix stripped. */
  private async partitionStats(partition: number, prefix: string): Promise<Array<[string, number]>> {
    const key = this.keys.broadcastStats(partition);
    // HSCAN's glob: the prefix is escaped so an id can only match itself (and `a` never `a-b`, by the `|`).
    const match = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    const found: Array<[string, number]> = [];
    let cursor = '0';
    do {
      const reply = await this.conn.send('broadcast stats', [
        'HSCAN',
        key,
        cursor,
        'MATCH',
        match,
        'COUNT',
        String(STATS_SCAN_COUNT),
      ]);
      const [next, flat] = Array.isArray(reply) ? reply : [];
      if (typeof next !== 'string' || !Array.isArray(flat))
        throw new Error(`HSCAN ${key} answered ${JSON.stringify(reply)}; expected [cursor, [field, value, …]]`);
      const items = flat.map(String);
      // HSCAN may return a field twice (the hash rehashing mid-walk); counters are summed per field once.
      for (let i = 0; i + 1 < items.length; i += 2) found.push([(items[i] as string).slice(prefix.length), Number(items[i + 1])]);
      cursor = next;
    } while (cursor !== '0');
    return dedupeFields(found);
  }
}

/** The last value seen of each field (a repeated HSCAN field is the same counter, not another one). */
function dedupeFields(found: ReadonlyArray<[string, number]>): Array<[string, number]> {
  return [...new Map(found)];
}
