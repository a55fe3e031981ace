import type { DemoClockReading } from '../src/cli/demoClock';
import { h } from './dom';
import { call } from './marketerApi';

/**
 * The demo's business time on the page, and the buttons that move it forward (POST /demo/clock,
 * src/cli/demoClock.ts): a drip step due "4 hours later" fires as soon as the demo's time passes
 * it. The time shown runs on the page from the last reading (at the demo's --speed); the demo is
 * asked again only after a jump, when the page is opened and when it comes back into view, so
 * nothing polls.
 */

const JUMPS = [
  { by: '1h', label: '+1 hour', said: '1 hour' },
  { by: '1d', label: '+1 day', said: '1 day' },
] as const;

const MINUTE = 60_000;

/** "2 days 3 hours", "45 minutes": the two largest units that are not 0. */
export function describeDuration(ms: number): string {
  let rest = Math.floor(ms / MINUTE);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['day', 1440],
    ['hour', 60],
    ['minute', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`);
  }
  return parts.slice(0, 2).join(' ') || 'less than a minute';
}

const format = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
export const formatTime = (ms: number): string => format.format(new Date(ms));

export class DemoClockView {
  readonly element: HTMLElement;
  private readonly time: HTMLTimeElement;
  private readonly ahead: HTMLElement;
  private readonly status: HTMLElement;
  private readonly buttons: HTMLButtonElement[];
  private reading: DemoClockReading | undefined;
  /** performance.now() when `reading` was taken. */
  private readAt = 0;
  private busy = false;

  /** `onJump`: the clock moved forward (the sequence report may change once the steps fire). */
  constructor(private readonly onJump: () => void) {
    this.time = h('time', {}, '…');
    this.ahead = h('span', { class: 'clock-ahead' });
    this.status = h('p', { class: 'clock-status', role: 'status' });
    this.buttons = JUMPS.map((j) => {
      const b = h('button', { type: 'button' }, j.label);
      b.addEventListener('click', () => void this.jump(j.by, j.said));
      return b;
    });
    this.element = h(
      'div',
      { class: 'clock', role: 'group', 'aria-label': 'Demo clock' },
      h('p', { class: 'clock-now' }, 'Demo time: ', this.time, ' ', this.ahead),
      h('div', { class: 'clock-buttons' }, ...this.buttons),
      this.status,
    );
    setInterval(() => this.draw(), 1000);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void this.read();
    });
    void this.read();
  }

  /** The demo's time now, as the page reckons it from the last reading; undefined before the first. */
  now(): number | undefined {
    const r = this.reading;
    return r === undefined ? undefined : r.now + Math.round((performance.now() - this.readAt) * r.speed);
  }

  private async read(): Promise<void> {
    const answer = await call<DemoClockReading>('GET', 'clock');
    if (answer.ok) this.take(answer.body);
    else this.status.textContent = `Could not read the demo's clock: ${answer.error}`;
  }

  private take(reading: DemoClockReading): void {
    this.reading = reading;
    this.readAt = performance.now();
    this.draw();
  }

  private draw(): void {
    const now = this.now();
    const r = this.reading;
    if (now === undefined || r === undefined) return;
    const text = formatTime(now);
    if (this.time.textContent !== text) {
      this.time.textContent = text;
      this.time.dateTime = new Date(now).toISOString();
    }
    const parts = [
      (r.aheadMs ?? 0) > 0 ? `moved ${describeDuration(r.aheadMs ?? 0)} forward` : '',
      r.speed > 1 ? `runs ${r.speed}× real time` : '',
    ].filter((p) => p !== '');
    this.ahead.textContent = parts.length > 0 ? `(${parts.join(', ')})` : '';
  }

  /** Moves the clock to `at` (a step's due time), to the minute above; `what` names it for the status line. */
  jumpTo(at: number, what: string): Promise<void> {
    const now = this.now() ?? at;
    const minutes = Math.max(1, Math.ceil((at - now) / MINUTE));
    return this.jump(`${minutes}m`, `${describeDuration(minutes * MINUTE)}, to ${what}`);
  }

  private async jump(by: string, said: string): Promise<void> {
    // Not disabled meanwhile: a disabled button drops the keyboard focus; a press while one is on its way is ignored.
    if (this.busy) return;
    this.busy = true;
    const answer = await call<DemoClockReading>('POST', 'clock', { by }).finally(() => (this.busy = false));
    if (!answer.ok) {
      this.status.textContent = `The clock did not move: ${answer.error}`;
      return;
    }
    this.take(answer.body);
    this.status.textContent = `Moved ${said} forward: it is now ${formatTime(answer.body.now)}. Steps that came due fire within a second.`;
    this.onJump();
  }
}
