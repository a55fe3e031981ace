/**
 * The states a worker last committed in one partition, most recently used last. While the worker
 * holds the partition's lease it is the only writer, so a hit saves the load round trip and the
 * decode. It can never cause a wrong write: the commit still checks the version, and a refused
 * commit drops the entry and reloads. A lost lease drops the whole cache with the lease.
 */
export interface Cached<S> {
  readonly version: number;
  readonly state: S;
}

export class StateCache<S> {
  private readonly entries = new Map<string, Cached<S>>();

  constructor(private readonly capacity: number) {}

  get(key: string): Cached<S> | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: Cached<S>): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
