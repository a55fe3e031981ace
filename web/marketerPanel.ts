import { WHERE_FORMS } from '../src/audience/parseWhere';
import type { SequenceReport } from '../src/broadcasts/sequenceReport';
import { DemoClockView, describeDuration, formatTime } from './demoClockView';
import { h } from './dom';
import { admin } from './marketerApi';
import { BroadcastSection } from './marketerBroadcast';

/**
 * The marketer's tools on the demo page (issue #13): how many customers an audience filter
 * selects (GET /admin/audience/count, the `talkshop audience` filter language), a broadcast to
 * them and its counts (marketerBroadcast.ts), and a drip sequence started for one of the page's
 * customers, with the demo's clock moved forward to watch its steps fire (demoClockView.ts).
 * Every call goes through the page's admin proxy; the page never holds a token.
 */

export interface PageCustomer {
  readonly psid: string;
  readonly name: string;
}

const PRESETS = [
  { label: 'Subscribed to offers', where: ['consent.offers=yes'] },
  { label: 'Subscribed to tips', where: ['consent.tips=yes'] },
  { label: 'Window open', where: ['window=open'] },
  { label: 'Took the 10% code', where: ['tag=lead'] },
  { label: 'Wrote this week', where: ['last<7d'] },
] as const;

/** The audience filter is at most 100 clauses (a broadcast's limit), each a short line. */
const MAX_CLAUSES = 100;
/** After a start, a stop or a jump, the sequence is read again this often, a few times, as its steps fire. */
const FOLLOW_MS = 1000;
const FOLLOW_READS = 8;

interface UserAnswer {
  readonly consent: Readonly<Record<string, { readonly subscribed: boolean }>>;
  readonly sequences?: Readonly<Record<string, { readonly nextStep: string | null; readonly dueAt: number | null }>>;
}

export class MarketerPanel {
  readonly element: HTMLElement;
  private readonly filter: HTMLTextAreaElement;
  private readonly countStatus: HTMLElement;
  private readonly customer: HTMLSelectElement;
  private readonly sequence: HTMLSelectElement;
  private readonly seqStatus: HTMLElement;
  private readonly seqState: HTMLElement;
  private readonly steps: HTMLElement;
  /** "Jump to <step>": the clock to the chosen customer's next step; hidden while none is ahead. */
  private readonly jumpToStep: HTMLButtonElement;
  private nextDue: { readonly at: number; readonly step: string } | undefined;
  private readonly clock: DemoClockView;
  private sequences: SequenceReport[] = [];
  private follow: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly customers: () => readonly PageCustomer[]) {
    this.filter = h('textarea', { id: 'mk-filter', name: 'where', rows: '2', spellcheck: 'false' });
    this.filter.value = 'consent.offers=yes\nwindow=open';
    this.countStatus = h('p', { class: 'count-status', role: 'status' });
    const presets = PRESETS.map((p) => {
      const b = h('button', { type: 'button' }, p.label);
      b.addEventListener('click', () => {
        this.filter.value = p.where.join('\n');
        void this.count();
      });
      return b;
    });
    const countForm = h(
      'form',
      { class: 'mk-form' },
      h('label', { for: 'mk-filter' }, 'Audience filter: one clause per line, all must hold'),
      this.filter,
      h('div', { class: 'presets', role: 'group', 'aria-label': 'Filter presets' }, ...presets),
      h('button', { type: 'submit' }, 'Count'),
    );
    countForm.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.count();
    });
    const syntax = h(
      'details',
      {},
      h('summary', {}, 'Filter syntax'),
      h('ul', {}, ...WHERE_FORMS.map((f) => h('li', {}, f.trim()))),
    );

    this.customer = h('select', { id: 'mk-seq-customer', name: 'customer' });
    this.sequence = h('select', { id: 'mk-seq-id', name: 'sequence' });
    this.seqStatus = h('p', { class: 'alert', role: 'alert' });
    this.seqState = h('p', { class: 'seq-state', role: 'status' });
    this.steps = h('div', { class: 'seq-steps' });
    this.customer.addEventListener('focus', () => this.fillCustomers());
    this.customer.addEventListener('change', () => void this.readState());
    this.sequence.addEventListener('change', () => void this.readSequence());
    const start = h('button', { type: 'button' }, 'Start sequence');
    const stop = h('button', { type: 'button' }, 'Stop sequence');
    start.addEventListener('click', () => void this.command('start'));
    stop.addEventListener('click', () => void this.command('stop'));
    this.clock = new DemoClockView(() => this.followUp());
    this.jumpToStep = h('button', { type: 'button', hidden: true }, 'Jump to the next step');
    this.jumpToStep.addEventListener('click', () => {
      if (this.nextDue) void this.clock.jumpTo(this.nextDue.at, `step ${this.nextDue.step}`);
    });

    this.element = h(
      'section',
      { class: 'panel marketer', 'aria-labelledby': 'marketer-title' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'marketer-title' }, 'Marketer')),
      h(
        'section',
        { class: 'mk-part', 'aria-labelledby': 'mk-audience-title' },
        h('h3', { id: 'mk-audience-title' }, 'Audience'),
        countForm,
        this.countStatus,
        syntax,
      ),
      new BroadcastSection(() => this.where()).element,
      h(
        'section',
        { class: 'mk-part', 'aria-labelledby': 'mk-seq-title' },
        h('h3', { id: 'mk-seq-title' }, 'Drip sequence and the demo clock'),
        h(
          'div',
          { class: 'mk-form' },
          h('label', { for: 'mk-seq-customer' }, 'Customer'),
          this.customer,
          h('label', { for: 'mk-seq-id' }, 'Sequence'),
          this.sequence,
          h('div', { class: 'presets' }, start, stop),
        ),
        this.seqStatus,
        this.seqState,
        this.jumpToStep,
        this.steps,
        this.clock.element,
      ),
    );
    void this.listSequences();
  }

  /** The page's customers changed (one was added): the customer list follows. */
  customersChanged(): void {
    this.fillCustomers();
  }

  /** The bot sent a customer something (the page's stream): a drip step to the chosen one moves the counts. */
  botSent(psid: string): void {
    if (psid === this.customer.value && this.sequence.value !== '') this.followUp();
  }

  private where(): string[] {
    return this.filter.value
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .slice(0, MAX_CLAUSES);
  }

  private async count(): Promise<void> {
    const query = this.where()
      .map((w) => `where=${encodeURIComponent(w)}`)
      .join('&');
    this.countStatus.textContent = 'Counting…';
    const answer = await admin<{ count: number; scanned: number }>('GET', `/audience/count${query ? `?${query}` : ''}`);
    this.countStatus.textContent = answer.ok
      ? `${answer.body.count} ${answer.body.count === 1 ? 'customer matches' : 'customers match'} (of ${answer.body.scanned} known).`
      : `Not counted: ${answer.error}`;
  }

  private fillCustomers(): void {
    const chosen = this.customer.value;
    const list = this.customers();
    if (list.length === this.customer.options.length) return;
    this.customer.replaceChildren(...list.map((c) => h('option', { value: c.psid }, c.name)));
    if (list.some((c) => c.psid === chosen)) this.customer.value = chosen;
    void this.readState();
  }

  private chosenSequence(): SequenceReport | undefined {
    return this.sequences.find((s) => s.id === this.sequence.value);
  }

  /** The loaded sequences (read once: the demo loads them at its start), then the chosen one's report. */
  private async listSequences(): Promise<void> {
    const list = await admin<{ sequences: Array<{ id: string; name: string }> }>('GET', '/sequences');
    if (!list.ok) return void (this.seqStatus.textContent = `Could not list the sequences: ${list.error}`);
    this.sequence.replaceChildren(...list.body.sequences.map((s) => h('option', { value: s.id }, `${s.id} (${s.name})`)));
    await this.readSequence();
  }

  /** The chosen sequence's per-step counts, then the chosen customer's place in it. */
  private async readSequence(): Promise<void> {
    const id = this.sequence.value;
    if (id === '') return;
    const report = await admin<SequenceReport>('GET', `/sequences/${encodeURIComponent(id)}`);
    if (!report.ok) return void (this.seqStatus.textContent = `Could not read ${id}: ${report.error}`);
    this.sequences = [report.body, ...this.sequences.filter((s) => s.id !== id)];
    this.drawSteps(report.body);
    await this.readState();
  }

  private drawSteps(report: SequenceReport): void {
    const row = (cells: string[], head = false) => h('tr', {}, ...cells.map((c) => h(head ? 'th' : 'td', {}, c)));
    this.steps.replaceChildren(
      h('p', { class: 'hint' }, `“${report.name}”: topic ${report.topic}; counts over every customer.`),
      h(
        'table',
        { 'aria-label': `Steps of ${report.id}` },
        h('thead', {}, row(['Step', 'Delay', 'Sent', 'Skipped'], true)),
        h(
          'tbody',
          {},
          ...report.steps.map((s) =>
            row([
              // The kind says why a step is skipped: a marketing message needs Meta's opt-in token.
              `${s.id} (${s.kind.replace('_', ' ')})`,
              s.from === 'subscription' ? `${s.delay} (from start)` : s.delay,
              String(s.counts.sent),
              Object.entries(s.counts.skipped)
                .filter(([, n]) => n > 0)
                .map(([r, n]) => `${r} ${n}`)
                .join(', ') || '0',
            ]),
          ),
        ),
      ),
    );
  }

  /** The chosen customer: consent to the sequence's topic, and its next step if it runs. */
  private async readState(): Promise<void> {
    const psid = this.customer.value;
    const seq = this.chosenSequence();
    if (psid === '' || !seq) return void (this.seqState.textContent = '');
    const name = this.customer.selectedOptions[0]?.textContent ?? psid;
    const user = await admin<UserAnswer>('GET', `/users/${encodeURIComponent(psid)}`);
    if (!user.ok) {
      this.seqState.textContent =
        user.status === 404 ? `${name} has not written to the Page yet: press Get Started in their thread first.` : user.error;
      return;
    }
    const subscribed = user.body.consent[seq.topic]?.subscribed === true;
    const running = user.body.sequences?.[seq.id];
    const now = this.clock.now();
    const dueAt = running?.dueAt ?? null;
    const state = h(
      'span',
      {},
      `${name}: `,
      subscribed
        ? `subscribed to ${seq.topic}. `
        : `not subscribed to ${seq.topic}, so its steps are skipped (no_consent); customers subscribe in the chat (in the shop: Get 10% off, then Yes, sign me up). `,
      running ? `${seq.id} is running.` : `${seq.id} is not running for them.`,
      ...(running && dueAt !== null
        ? [
            ` Next step ${running.nextStep ?? '?'} is due `,
            h('time', { class: 'due', datetime: new Date(dueAt).toISOString() }, formatTime(dueAt)),
            now !== undefined && dueAt > now ? ` (in ${describeDuration(dueAt - now)}).` : '.',
          ]
        : []),
    );
    this.nextDue =
      running && dueAt !== null && now !== undefined && dueAt > now ? { at: dueAt, step: running.nextStep ?? '?' } : undefined;
    // Kept, not rebuilt, so a keyboard user's focus stays on it; hidden (not removed) when no step is ahead.
    this.jumpToStep.hidden = this.nextDue === undefined;
    if (this.nextDue) this.jumpToStep.textContent = `Jump to ${this.nextDue.step}`;
    // A live region: rewritten only when it says something new, so a screen reader is not told twice.
    if (state.textContent !== this.seqState.textContent) this.seqState.replaceChildren(...state.childNodes);
  }

  private async command(action: 'start' | 'stop'): Promise<void> {
    this.seqStatus.textContent = '';
    const psid = this.customer.value;
    const seq = this.sequence.value;
    if (psid === '' || seq === '') return;
    const answer = await admin('POST', `/users/${encodeURIComponent(psid)}/sequences`, { sequence: seq, action });
    if (!answer.ok)
      return void (this.seqStatus.textContent = `Not ${action === 'start' ? 'started' : 'stopped'}: ${answer.error}`);
    this.followUp();
  }

  /** Reads the sequence and the customer again a few times, a second apart: its steps fire meanwhile. */
  private followUp(): void {
    clearTimeout(this.follow);
    let left = FOLLOW_READS;
    const tick = () => {
      void this.readSequence();
      left -= 1;
      if (left > 0) this.follow = setTimeout(tick, FOLLOW_MS);
    };
    this.follow = setTimeout(tick, 300);
  }
}
