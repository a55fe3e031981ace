/**
 * Per-host concurrency: at most `limit` requests to one host in flight in this process; more wait
 * in a bounded first-come queue. A waiter whose signal aborts (its time is up) leaves the queue,
 * so waiting counts against the request's own time limit. Hosts are independent: a slow API
 * fills its own slots and queue, never another host's.
 */
export type SlotOutcome =
  { readonly ok: true; readonly release: () => void } | { readonly ok: false; readonly why: 'full' | 'aborted' };

interface Lane {
  active: number;
  readonly waiting: Array<(granted: boolean) => void>;
}

export class HostSlots {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly maxWaitingPerHost: number) {}

  async acquire(host: string, limit: number, signal: AbortSignal): Promise<SlotOutcome> {
    if (signal.aborted) return { ok: false, why: 'aborted' };
    const lane = this.lanes.get(host) ?? { active: 0, waiting: [] };
    this.lanes.set(host, lane);
    if (lane.active < limit) {
      lane.active += 1;
      return { ok: true, release: this.releaser(host, lane) };
    }
    if (lane.waiting.length >= this.maxWaitingPerHost) return { ok: false, why: 'full' };
    const granted = await new Promise<boolean>((resolve) => {
      const onAbort = () => {
        const i = lane.waiting.indexOf(wake);
        if (i >= 0) lane.waiting.splice(i, 1);
        resolve(false);
      };
      const wake = (ok: boolean) => {
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      lane.waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    // A released slot passes straight to the waiter (active is not decremented in between).
    return granted ? { ok: true, release: this.releaser(host, lane) } : { ok: false, why: 'aborted' };
  }

  /** Requests in flight to the host (for tests and the log). */
  active(host: string): number {
    return this.lanes.get(host)?.active ?? 0;
  }

  private releaser(host: string, lane: Lane): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = lane.waiting.shift();
      if (next) return next(true);
      lane.active -= 1;
      if (lane.active === 0 && lane.waiting.length === 0) this.lanes.delete(host);
    };
  }
}
