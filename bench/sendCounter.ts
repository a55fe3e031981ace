import { readFileSync } from 'node:fs';
import type { FakeCall, FakeGraphApi } from '../src/emulator/fakeGraphApi';

const textOf = (c: FakeCall) => (c.body as { message?: { text?: unknown } } | undefined)?.message?.text;

/** Peak resident memory of a process so far (VmHWM), in MB; read before it exits. */
export function peakRssMb(pid: number | undefined): number {
  const status = pid === undefined ? '' : readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 102.4) / 10;
}

/** Sends of one broadcast text at the fake, per recipient, as they arrive. */
export class SendCounter {
  readonly perUser = new Map<string, number>();
  /** Arrival time of every send, in order. */
  readonly times: number[] = [];
  total = 0;
  firstAt = 0;
  lastAt = 0;
  private readonly unsubscribe: () => void;
  constructor(fake: FakeGraphApi, text: string, onSend?: (total: number) => void) {
    this.unsubscribe = fake.onCall((c) => {
      if (c.endpoint !== 'messages' || c.status !== 200 || textOf(c) !== text) return;
      const to = c.recipientId ?? '';
      this.perUser.set(to, (this.perUser.get(to) ?? 0) + 1);
      this.total += 1;
      this.times.push(c.at);
      this.firstAt ||= c.at;
      this.lastAt = c.at;
      onSend?.(this.total);
    });
  }
  /** Sends per second between the 10th and the 90th percentile send: the steady rate, without ramp-up and tail. */
  get steadyPerSec(): number {
    const from = this.times[Math.floor(this.times.length * 0.1)] ?? 0;
    const to = this.times[Math.floor(this.times.length * 0.9)] ?? 0;
    return to > from ? (Math.floor(this.times.length * 0.9) - Math.floor(this.times.length * 0.1)) / ((to - from) / 1000) : 0;
  }
  get duplicates(): number {
    return this.total - this.perUser.size;
  }
  close(): void {
    this.unsubscribe();
  }
}
