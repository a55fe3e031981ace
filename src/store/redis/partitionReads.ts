import type { Logger } from '../../logger';
import type { InboxRead } from '../ports';
import type { RedisConnection } from './redisConnection';

/** One partition's blocking read, from the position it was issued at. */
interface Pending {
  readonly after: string;
  reply: Promise<void>;
  outcome?: { readonly items: InboxRead[] } | { readonly error: unknown };
}

/**
 * The worker's inbox reads on a Redis Cluster: one blocking XREAD per partition, each on a
 * connection of its own.
 *
 * On one Redis a single XREAD BLOCK covers every partition the worker holds. A cluster refuses a
 * command whose keys hash to different slots (CROSSSLOT), even slots of the same node, and each
 * partition is its own slot (keys.ts `{p<N>}`), so there is no one read per node: a partition's
 * stream is read alone, and since a blocked read holds its connection, each partition gets one
 * (lazily connected to the one node serving it, and following the partition's slot to another
 * node after a failover). That is about INBOX_PARTITIONS connections over all workers together.
 *
 * read() first reads every partition without blocking (on the main connection); only when all
 * are empty does it block, returning as soon as any partition has items, or when every read came
 * back empty. The reads still blocked stay in flight: the next read() for the same partition at the same position
 * takes them over (a blocked XREAD cannot be recalled), and one at another position (the worker
 * rewound, or took the lease again) is issued behind it and the stale reply dropped.
 */
export class PartitionReads {
  private readonly connections = new Map<number, Promise<RedisConnection>>();
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly conn: RedisConnection,
    private readonly logger: Logger,
    private readonly keyOf: (partition: number) => string,
    private readonly decode: (partition: number, key: string, reply: unknown) => InboxRead[],
  ) {}

  async read(after: ReadonlyMap<number, string>, count: number, blockMs: number): Promise<InboxRead[]> {
    // What is there now, as one XREAD over every partition would answer: replies already back from
    // an earlier call at the same position, and a read without BLOCK of the others (these are not
    // blocking, so they share the main connection, pipelined). Only when all are empty, block.
    const items = this.takeDone(after);
    const rest = [...after].filter(([p]) => !items.has(p));
    const now = await Promise.all(
      rest.map(async ([p, id]) => {
        const key = this.keyOf(p);
        const args = ['XREAD', 'COUNT', String(count), 'STREAMS', key, id];
        return this.decode(p, key, await this.conn.send('inbox read', args));
      }),
    );
    const found = [...items.values(), ...now].flat();
    if (found.length > 0) return found;
    return this.block(after, count, blockMs);
  }

  /** Items of the reads back from an earlier call at the position asked for now (taken out of pending). */
  private takeDone(after: ReadonlyMap<number, string>): Map<number, InboxRead[]> {
    const taken = new Map<number, InboxRead[]>();
    for (const [p, id] of after) {
      const r = this.pending.get(p);
      if (!r?.outcome || r.after !== id) continue;
      this.pending.delete(p);
      if ('items' in r.outcome) taken.set(p, r.outcome.items);
    }
    return taken;
  }

  /** One blocking read per partition (taking over those in flight at the same position), until one has items or all are back. */
  private async block(after: ReadonlyMap<number, string>, count: number, blockMs: number): Promise<InboxRead[]> {
    const mine = [...after].map(([p, id]) => {
      const current = this.pending.get(p);
      if (current && current.after === id) return [p, current] as const;
      const next = this.issue(p, id, count, blockMs);
      this.pending.set(p, next);
      return [p, next] as const;
    });
    for (;;) {
      const done = mine.filter(([, r]) => r.outcome !== undefined);
      const failed = done.find(([, r]) => r.outcome && 'error' in r.outcome);
      if (failed) {
        this.pending.delete(failed[0]);
        throw (failed[1].outcome as { error: unknown }).error;
      }
      const items = done.flatMap(([, r]) => (r.outcome && 'items' in r.outcome ? r.outcome.items : []));
      if (items.length > 0 || done.length === mine.length) {
        for (const [p, r] of done) if (this.pending.get(p) === r) this.pending.delete(p);
        return items;
      }
      await Promise.race(mine.filter(([, r]) => r.outcome === undefined).map(([, r]) => r.reply));
    }
  }

  private issue(partition: number, after: string, count: number, blockMs: number): Pending {
    const key = this.keyOf(partition);
    const entry: Pending = { after, reply: Promise.resolve() };
    entry.reply = (async () => {
      try {
        const conn = await this.connection(partition);
        const args = ['XREAD', 'COUNT', String(count), 'BLOCK', String(blockMs), 'STREAMS', key, after];
        entry.outcome = { items: this.decode(partition, key, await conn.send('inbox read', args, blockMs)) };
      } catch (error) {
        entry.outcome = { error };
      }
    })();
    return entry;
  }

  private connection(partition: number): Promise<RedisConnection> {
    let conn = this.connections.get(partition);
    if (!conn) {
      conn = this.conn.duplicate(this.logger, `inbox-read-p${partition}`);
      this.connections.set(partition, conn);
    }
    return conn;
  }

  async close(): Promise<void> {
    const conns = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(conns.map(async (c) => (await c.catch(() => undefined))?.close()));
  }
}
