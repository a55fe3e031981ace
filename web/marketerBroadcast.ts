import type { BroadcastView } from '../src/broadcasts/broadcastCounts';
import { h } from './dom';
import { admin } from './marketerApi';

/**
 * The marketer's broadcast: a message, its consent topic or a message tag, sent to the audience
 * filter of the panel (POST /admin/broadcasts, checked by the same schema and linter as
 * `talkshop broadcast create`), then its counts as they move: targeted, sent, skipped by reason,
 * failed, delivered, read. The customers' threads show the message as it arrives (the page's
 * stream). While a broadcast is sending, its report is read once a second, and no longer once it
 * is done and its receipts are in: a few requests per broadcast, never a loop that outlives it.
 */

const REFRESH_MS = 1000;
/** After the fan-out is done, delivery and read receipts still arrive (the demo's fake: 0.3 s and 1.3 s). */
const AFTER_DONE_READS = 10;
/** A broadcast still sending after this many reads is followed on request only (the Refresh button). */
const MAX_READS = 120;

const TAGS = ['CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE', 'ACCOUNT_UPDATE'] as const;

/** What each skip reason means, for a marketer (docs/broadcasts.md, Statistics). */
const SKIP_MEANING: Readonly<Record<string, string>> = {
  outside_window: 'outside their 24 h window',
  no_consent: 'not subscribed to the topic',
  no_token: 'no Marketing Messages token',
  unreachable: 'Meta says unreachable',
  human_owns_thread: 'a person has the conversation',
  deleted: 'erased meanwhile',
  capped: 'over the per-user caps',
  cancelled: 'the broadcast was cancelled',
};

/** A unique id (a user receives each id at most once): lowercase letters, digits and -. */
const newId = () => `demo-${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36)}`;

export class BroadcastSection {
  readonly element: HTMLElement;
  private readonly text: HTMLTextAreaElement;
  private readonly topic: HTMLSelectElement;
  private readonly tag: HTMLSelectElement;
  private readonly alert: HTMLElement;
  private readonly report: HTMLElement;
  private watching:
    { id: string; timer: ReturnType<typeof setTimeout> | undefined; reads: number; afterDone: number } | undefined;

  /** `where`: the panel's audience filter, one clause per entry. */
  constructor(private readonly where: () => string[]) {
    this.text = h('textarea', { id: 'mk-bc-text', name: 'text', rows: '3', maxlength: '2000', required: true });
    this.text.value = '👟 New this week, {{first_name}}: the Trail Pro comes in blue. Your WELCOME10 code works on it too.';
    this.topic = h(
      'select',
      { id: 'mk-bc-topic', name: 'topic' },
      h('option', { value: 'offers' }, 'offers (Offers & deals)'),
      h('option', { value: 'tips' }, 'tips (Running tips)'),
    );
    this.tag = h(
      'select',
      { id: 'mk-bc-tag', name: 'tag' },
      h('option', { value: '' }, 'None: promotional, inside the 24 h window'),
      ...TAGS.map((t) => h('option', { value: t }, t)),
    );
    this.alert = h('p', { class: 'alert', role: 'alert' });
    this.report = h('div', { class: 'broadcast-report' });
    const form = h(
      'form',
      { class: 'mk-form', 'aria-labelledby': 'mk-bc-title' },
      h('label', { for: 'mk-bc-text' }, 'Message ({{first_name}} is filled in per customer)'),
      this.text,
      h('label', { for: 'mk-bc-topic' }, 'Consent topic'),
      this.topic,
      h('label', { for: 'mk-bc-tag' }, 'Message tag (optional: a non-promotional update, sent to whoever the filter selects)'),
      this.tag,
      h('p', { class: 'hint' }, 'Sent to the customers the audience filter above selects.'),
      h('button', { type: 'submit' }, 'Send broadcast'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.send();
    });
    this.tag.addEventListener('change', () => (this.topic.disabled = this.tag.value !== ''));
    this.element = h(
      'section',
      { class: 'mk-part', 'aria-labelledby': 'mk-bc-title' },
      h('h3', { id: 'mk-bc-title' }, 'Broadcast'),
      form,
      this.alert,
      this.report,
    );
  }

  private async send(): Promise<void> {
    this.alert.textContent = '';
    const where = this.where();
    if (where.length === 0) {
      this.alert.textContent = 'Write at least one clause in the audience filter (for example window=open).';
      return;
    }
    const text = this.text.value.trim();
    if (text === '') return;
    const tag = this.tag.value;
    const definition = {
      id: newId(),
      name: Array.from(text).slice(0, 60).join(''),
      audience: { where },
      ...(tag === ''
        ? { kind: 'promotional', topic: this.topic.value, messages: [{ text, promotional: true }] }
        : { kind: 'tagged', tag, messages: [{ text }] }),
    };
    const answer = await admin<BroadcastView & { warnings?: Array<{ message?: string }> }>('POST', '/broadcasts', { definition });
    if (!answer.ok) {
      this.alert.textContent = `Not sent: ${answer.error}`;
      return;
    }
    this.watch(
      answer.body,
      (answer.body.warnings ?? []).map((w) => w.message ?? '').filter((m) => m !== ''),
    );
  }

  private watch(view: BroadcastView, warnings: string[]): void {
    if (this.watching) clearTimeout(this.watching.timer);
    this.watching = { id: view.id, timer: undefined, reads: 0, afterDone: 0 };
    const refresh = h('button', { type: 'button' }, 'Refresh');
    refresh.addEventListener('click', () => void this.read(view.id, true));
    this.report.replaceChildren(
      h('h4', {}, `“${view.name ?? view.id}”`),
      h('p', { class: 'broadcast-status', role: 'status' }),
      h('ul', { class: 'counts', 'aria-label': 'Broadcast counts' }),
      ...(warnings.length > 0
        ? [h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, ...warnings.map((w) => h('li', {}, w)))]
        : []),
      refresh,
    );
    this.draw(view);
    this.next(view);
  }

  /** Schedules the next read while the broadcast is sending, or its receipts are still coming. */
  private next(view: BroadcastView): void {
    const w = this.watching;
    if (!w || w.id !== view.id) return;
    if (view.progress.finished || view.status === 'done' || view.status === 'cancelled') w.afterDone += 1;
    const receiptsIn = view.counts.delivered >= view.counts.sent && view.counts.read >= view.counts.sent;
    const settled = w.afterDone > 0 && (receiptsIn || w.afterDone > AFTER_DONE_READS);
    if (settled || w.reads >= MAX_READS || view.status === 'paused') return;
    w.timer = setTimeout(() => void this.read(view.id, false), REFRESH_MS);
  }

  private async read(id: string, byHand: boolean): Promise<void> {
    const w = this.watching;
    if (!w || w.id !== id) return;
    if (byHand) {
      clearTimeout(w.timer);
      w.reads = 0;
      w.afterDone = 0;
    }
    w.reads += 1;
    const answer = await admin<BroadcastView>('GET', `/broadcasts/${encodeURIComponent(id)}`);
    if (this.watching !== w) return;
    if (!answer.ok) {
      this.alert.textContent = `Could not read the broadcast: ${answer.error}`;
      return;
    }
    this.draw(answer.body);
    this.next(answer.body);
  }

  private draw(view: BroadcastView): void {
    const c = view.counts;
    const skipped = Object.entries(c.skipped).filter(([, n]) => n > 0);
    const failed = Object.entries(c.failed).filter(([, n]) => n > 0);
    const done = view.progress.finished;
    const status = this.report.querySelector('.broadcast-status');
    if (status)
      status.textContent = done
        ? `Done: ${c.sent} sent, ${skipped.reduce((a, [, n]) => a + n, 0)} skipped, ${failed.reduce((a, [, n]) => a + n, 0)} failed.`
        : `${view.status === 'running' ? 'Sending' : `Status: ${view.status}`}: ${view.progress.partitionsWalked} of ${view.progress.partitions} partitions walked, ${view.progress.inFlight} in flight.`;
    const items = [
      `Targeted ${c.targeted}`,
      `Sent ${c.sent}`,
      ...skipped.map(([reason, n]) => `Skipped: ${reason} ${n} (${SKIP_MEANING[reason] ?? 'see docs/broadcasts.md'})`),
      ...failed.map(([cls, n]) => `Failed: ${cls} ${n}`),
      `Delivered ${c.delivered}`,
      `Read ${c.read}`,
      `Clicked ${c.clicked}`,
    ];
    this.report.querySelector('.counts')?.replaceChildren(...items.map((t) => h('li', {}, t)));
  }
}
