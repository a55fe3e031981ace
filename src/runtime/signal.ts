/**
 * Wakes a partition task: `wait(ms)` resolves on the next `notify()` or after `ms`. A notify that
 * finds nobody waiting is kept, and the next `wait` returns at once: a task that was busy reading
 * when entries were committed must not then sleep past them (up to `ms` later).
 */
export class Signal {
  private readonly waiters = new Set<() => void>();
  private missed = false;

  wait(ms: number): Promise<void> {
    if (this.missed) {
      this.missed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  notify(): void {
    if (this.waiters.size === 0) this.missed = true;
    for (const done of [...this.waiters]) done();
  }
}
