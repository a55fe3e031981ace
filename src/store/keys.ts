/**
 * Every Redis key Talkshop uses is named here and nowhere else. Keys of one inbox partition share
 * the hash tag `{p<N>}` so the Lua scripts that touch them together run on one Redis Cluster slot.
 * User state lives in its partition's slot for the same reason: the commit script writes the
 * state, the outbox and the cursor in one step. (So INBOX_PARTITIONS is fixed for a deployment.)
 */
export interface Keys {
  inbox(partition: number): string;
  cursor(partition: number): string;
  lease(partition: number): string;
  leaseEpoch(partition: number): string;
  dedupe(partition: number, dedupeKey: string): string;
  state(partition: number, userKey: string): string;
  outbox(partition: number): string;
  workers(): string;
}

export function keysFor(prefix: string): Keys {
  const slot = (p: number) => `${prefix}:{p${p}}`;
  return {
    inbox: (p) => `${slot(p)}:inbox`,
    cursor: (p) => `${slot(p)}:cursor`,
    lease: (p) => `${slot(p)}:lease`,
    leaseEpoch: (p) => `${slot(p)}:lease-epoch`,
    dedupe: (p, key) => `${slot(p)}:dedupe:${key}`,
    state: (p, userKey) => `${slot(p)}:state:${userKey}`,
    outbox: (p) => `${slot(p)}:outbox`,
    workers: () => `${prefix}:workers`,
  };
}
