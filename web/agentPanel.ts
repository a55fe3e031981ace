import type { DemoStreamEvent } from '../src/cli/demoWebStream';
import type { UserState } from '../src/engine/userState';
import type { SendAction } from './customerPanel';
import { h } from './dom';
import { describeDuration, glanceRows, THREAD_LABEL, threadLogItems, type UserAnswer } from './userGlance';

/**
 * The Page Inbox on the demo page (issue #13): the threads handed to a person (GET
 * /admin/threads through the page's admin proxy), with how long each customer has waited; one
 * thread's transcript and the customer's state at a glance (GET /admin/users/:psid: where they
 * are in the flows, fields, tags, consent, the 24 h window, who owns the thread, the thread log).
 * A reply is what a person types in the Page Inbox: the demo posts the echo Meta would send from
 * the Page Inbox app, and the customer sees it; Done is the Page Inbox's Done, which hands the
 * thread back to the bot (Meta's pass_thread_control). Nothing polls: the page re-reads when the
 * stream says a customer's conversation changed.
 */

interface ThreadRow {
  readonly psid: string;
  readonly state: UserState['thread'];
  readonly waitingMs: number;
  readonly since: number;
}
/** Several nudges in a burst (a reply is typing, a message, a receipt…) become one read. */
const SETTLE_MS = 150;
/** The waiting times shown move on by themselves this often (a redraw only: nothing is fetched). */
const TICK_MS = 15_000;
/**
 * A thread "being handed to a person" becomes "with a person" when Meta confirms the handover to
 * the bot's sender, which calls nothing the stream sees; so while one shows, it is read again this
 * often, a few times at most (a handover the fake refuses stays as it is).
 */
const HANDOVER_RECHECK_MS = 400;
const HANDOVER_RECHECKS = 5;

async function getJson<T>(path: string): Promise<T | undefined> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  return res.ok ? ((await res.json()) as T) : undefined;
}

export class AgentPanel {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly picker: HTMLSelectElement;
  private readonly thread: HTMLElement;
  private readonly title: HTMLElement;
  private readonly transcript: HTMLElement;
  private readonly glance: HTMLElement;
  private readonly log: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly input: HTMLInputElement;
  private selected: string | undefined;
  private threads: ThreadRow[] = [];
  private readAt = Date.now();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  private rechecks = 0;

  constructor(
    private readonly customers: () => ReadonlyArray<{ psid: string; name: string }>,
    private readonly send: SendAction,
  ) {
    this.list = h('ul', { class: 'threads', 'aria-label': 'Threads handed to a person' });
    this.empty = h(
      'p',
      { class: 'hint' },
      'No one is waiting for a person. A customer who taps “Talk to a person” appears here.',
    );
    this.picker = h('select', { id: 'agent-customer', name: 'customer' });
    this.picker.addEventListener('change', () => this.select(this.picker.value || undefined));
    this.title = h('h3', { id: 'agent-thread-title' });
    this.transcript = h('div', { class: 'log', role: 'log', 'aria-label': 'Transcript' });
    this.glance = h('dl', { class: 'glance' });
    this.log = h('ol', { class: 'thread-log' });
    this.alert = h('p', { class: 'alert', role: 'alert' });
    this.input = h('input', { id: 'agent-reply', name: 'reply', autocomplete: 'off', maxlength: '2000', required: true });
    const reply = h(
      'form',
      { class: 'composer' },
      h('label', { for: 'agent-reply' }, 'Reply as the agent'),
      this.input,
      h('button', { type: 'submit' }, 'Send'),
    );
    reply.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.input.value.trim();
      if (text === '' || !this.selected) return;
      this.input.value = '';
      void this.act({ type: 'inbox_reply', text });
    });
    const done = h('button', { type: 'button', class: 'done' }, 'Done: hand back to the bot');
    done.addEventListener('click', () => void this.act({ type: 'inbox_done' }));
    this.thread = h(
      'section',
      { class: 'agent-thread', 'aria-labelledby': 'agent-thread-title', hidden: true },
      this.title,
      this.transcript,
      this.alert,
      reply,
      h('div', { class: 'agent-actions' }, done),
      h('h4', {}, 'At a glance'),
      this.glance,
      h('details', {}, h('summary', {}, 'Thread log'), this.log),
    );
    this.element = h(
      'section',
      { class: 'panel agent', 'aria-labelledby': 'agent-title' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'agent-title' }, 'Page Inbox (agent)')),
      h(
        'p',
        { class: 'hint' },
        'Conversations the bot handed to a person. A reply reaches the customer as the Page Inbox’s message; Done hands the conversation back to the bot.',
      ),
      h(
        'div',
        { class: 'agent-body' },
        h(
          'div',
          { class: 'agent-list' },
          h('h3', {}, 'Waiting for a person'),
          this.list,
          this.empty,
          h('label', { for: 'agent-customer' }, 'Any customer’s state'),
          this.picker,
        ),
        this.thread,
      ),
    );
    setInterval(() => this.drawThreads(), TICK_MS);
    this.customersChanged();
    this.nudge();
  }

  /** The page added a customer: the picker lists them. */
  customersChanged(): void {
    const current = this.picker.value;
    this.picker.replaceChildren(
      h('option', { value: '' }, 'Choose a customer'),
      ...this.customers().map((c) => h('option', { value: c.psid }, c.name)),
    );
    this.picker.value = current;
  }

  /** An event from the stream: a conversation may have changed, so read again (once for a burst). */
  receive(event: DemoStreamEvent): void {
    if (event.kind === 'state') this.nudge();
  }

  private nameOf(psid: string): string {
    return this.customers().find((c) => c.psid === psid)?.name ?? psid;
  }

  private nudge(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), SETTLE_MS);
  }

  /** One read at a time; a nudge during a read asks for one more after it. */
  private async refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read().catch(() => {
      this.alert.textContent = 'The demo is not answering (is `npm run demo` still running?)';
    });
    await this.reading;
    this.reading = undefined;
    if (this.again) {
      this.again = false;
      await this.refresh();
    }
  }

  private async read(): Promise<void> {
    const listed = await getJson<{ threads: ThreadRow[] }>('api/admin/threads');
    this.threads = listed?.threads ?? [];
    this.readAt = Date.now();
    this.drawThreads();
    if (this.selected) await this.readUser(this.selected);
    const handing = this.threads.some((t) => t.state === 'handing_over');
    this.rechecks = handing ? this.rechecks + 1 : 0;
    if (handing && this.rechecks <= HANDOVER_RECHECKS) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.refresh(), HANDOVER_RECHECK_MS);
    }
  }

  private async readUser(psid: string): Promise<void> {
    const [user, clock] = await Promise.all([
      getJson<UserAnswer>(`api/admin/users/${encodeURIComponent(psid)}`),
      getJson<{ now: number }>('clock'),
    ]);
    if (psid !== this.selected) return; // another thread was chosen meanwhile
    this.drawUser(psid, user, clock?.now ?? Date.now());
  }

  private drawThreads(): void {
    const elapsed = Date.now() - this.readAt;
    // A redraw replaces the buttons: the keyboard stays on the same customer's.
    const focused = this.list.contains(document.activeElement) ? document.activeElement?.getAttribute('data-psid') : null;
    this.list.replaceChildren(
      ...this.threads.map((t) => {
        const waiting = t.waitingMs > 0 ? `, waiting ${describeDuration(t.waitingMs + elapsed)}` : '';
        const b = h(
          'button',
          { type: 'button', 'aria-pressed': String(t.psid === this.selected), 'data-psid': t.psid },
          `${this.nameOf(t.psid)}: ${THREAD_LABEL[t.state]}${waiting}`,
        );
        b.addEventListener('click', () => {
          this.select(t.psid);
          this.input.focus(); // the agent picked a thread to answer
        });
        return h('li', {}, b);
      }),
    );
    this.empty.hidden = this.threads.length > 0;
    if (focused)
      Array.from(this.list.querySelectorAll<HTMLElement>('button'))
        .find((b) => b.dataset.psid === focused)
        ?.focus();
  }

  private select(psid: string | undefined): void {
    this.selected = psid;
    this.picker.value = psid ?? '';
    this.drawThreads();
    this.thread.hidden = psid === undefined;
    if (!psid) return;
    this.title.textContent = this.nameOf(psid);
    this.transcript.setAttribute('aria-label', `Transcript with ${this.nameOf(psid)}`);
    this.alert.textContent = '';
    void this.readUser(psid).catch(() => undefined);
  }

  private drawUser(psid: string, user: UserAnswer | undefined, now: number): void {
    if (!user) {
      this.transcript.replaceChildren(h('p', { class: 'note' }, `${this.nameOf(psid)} has not talked to the bot yet.`));
      this.glance.replaceChildren();
      this.log.replaceChildren();
      return;
    }
    this.transcript.replaceChildren(
      ...user.transcript.map((m) =>
        h(
          'p',
          { class: `bubble ${m.from === 'user' ? 'bot' : 'customer'}` },
          h('span', { class: 'who' }, m.from === 'user' ? this.nameOf(psid) : 'Agent'),
          m.text,
        ),
      ),
    );
    if (user.transcript.length === 0) this.transcript.append(h('p', { class: 'note' }, 'No messages kept yet.'));
    this.transcript.scrollTop = this.transcript.scrollHeight;
    this.glance.replaceChildren(...glanceRows(user, now));
    this.log.replaceChildren(...threadLogItems(user));
  }

  private async act(action: { type: 'inbox_reply'; text: string } | { type: 'inbox_done' }): Promise<void> {
    const customer = this.selected;
    if (!customer) return;
    this.alert.textContent = '';
    const problem = await this.send({ ...action, customer });
    if (problem !== undefined) this.alert.textContent = `Not sent: ${problem}`;
  }
}
