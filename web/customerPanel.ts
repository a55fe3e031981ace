import type { DemoAction } from '../src/cli/demoWebEvents';
import type { DemoStreamEvent } from '../src/cli/demoWebStream';
import type { SendMessage, SendQuickReply } from '../src/platform/sendApiSchema';
import { h } from './dom';
import { PagePost, type SendComment } from './pagePost';
import { renderMessage } from './renderMessage';

/**
 * One simulated customer's Messenger thread, under the Page's post they can comment on (pagePost.ts): the conversation, the quick replies of the bot's last
 * message, a Get Started button until the customer has said anything, a message box and an m.me
 * link box. Everything the customer does becomes a DemoAction the demo turns into a signed webhook.
 */

/** Omit over each member of a union (plain Omit would merge the members into one shape). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** What the customer does, without who they are (the panel adds its PSID). */
export type CustomerAction = OmitEach<DemoAction, 'customer'>;
/** Posts an action; resolves with an error message to show, or undefined when the demo took it. */
export type SendAction = (action: DemoAction) => Promise<string | undefined>;

/** Meta hides the typing indicator after 20 s without a message or typing_off (docs/messenger-platform.md §3.3). */
const TYPING_TIMEOUT_MS = 20_000;
/** What the user_email and user_phone_number quick replies offer (Messenger fills in the profile's). */
const DEMO_EMAIL = 'sam@example.com';
const DEMO_PHONE = '+15555550123';

export class CustomerPanel {
  readonly element: HTMLElement;
  private readonly log: HTMLElement;
  private readonly typing: HTMLElement;
  private readonly quickReplies: HTMLElement;
  private readonly start: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly post: PagePost;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly psid: string,
    readonly name: string,
    private readonly send: SendAction,
    sendComment: SendComment,
  ) {
    const id = `customer-${psid}`;
    this.post = new PagePost(psid, name, sendComment);
    this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': `Conversation with ${name}` });
    this.typing = h('p', { class: 'bubble bot typing', hidden: true, 'aria-label': 'The bot is typing' }, '• • •');
    this.quickReplies = h('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Quick replies' });
    this.alert = h('p', { class: 'alert', role: 'alert' });
    const getStarted = h('button', { type: 'button', class: 'get-started' }, 'Get Started');
    getStarted.addEventListener('click', () => void this.act({ type: 'get_started' }, 'Get Started'));
    this.start = h('div', { class: 'start' }, getStarted);
    this.input = h('input', { id: `${id}-text`, name: 'text', autocomplete: 'off', maxlength: '2000', required: true });
    const composer = h(
      'form',
      { class: 'composer' },
      h('label', { for: `${id}-text` }, 'Message'),
      this.input,
      h('button', { type: 'submit' }, 'Send'),
    );
    composer.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = this.input.value.trim();
      if (text === '') return;
      this.input.value = '';
      void this.act({ type: 'text', text }, text);
    });
    const refInput = h('input', {
      id: `${id}-ref`,
      name: 'ref',
      autocomplete: 'off',
      placeholder: 'summer-sale',
      pattern: '[A-Za-z0-9_.~\\-]{1,250}',
      required: true,
    });
    const refForm = h(
      'form',
      { class: 'ref-entry' },
      h('label', { for: `${id}-ref` }, 'Open m.me link with ref'),
      refInput,
      h('button', { type: 'submit' }, 'Open link'),
    );
    refForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const ref = refInput.value.trim();
      if (ref === '') return;
      // A thread that never started opens on Get Started, which carries the ref; a known one gets a referral.
      const action: CustomerAction = this.isNew() ? { type: 'get_started', ref } : { type: 'ref', ref };
      void this.act(
        action,
        this.isNew() ? `Get Started (from m.me link, ref ${ref})` : undefined,
        `Opened m.me link: ref ${ref}`,
      );
    });
    this.element = h(
      'section',
      { class: 'customer', 'aria-labelledby': `${id}-name`, 'data-customer': psid },
      h('header', { class: 'customer-head' }, h('h3', { id: `${id}-name` }, name), h('span', { class: 'psid' }, `PSID ${psid}`)),
      this.post.element,
      this.log,
      this.typing,
      this.quickReplies,
      this.alert,
      this.start,
      composer,
      refForm,
    );
  }

  focus(): void {
    (this.isNew() ? this.start.querySelector('button') : this.input)?.focus();
  }

  /** An event from the stream for this customer. */
  receive(event: DemoStreamEvent): void {
    if (event.kind === 'action') {
      if (event.action === 'typing_on') this.showTyping(true);
      else if (event.action === 'typing_off') this.showTyping(false);
      else this.markSeen();
      return;
    }
    if (event.kind === 'comment' || event.kind === 'comment_reply') return this.post.receive(event);
    if (event.kind !== 'message') return;
    if (event.from === 'page_inbox') {
      // A person's reply from the Page Inbox: Messenger shows it in the same thread, from the Page.
      this.append(
        h(
          'p',
          { class: 'bubble bot inbox' },
          h('span', { class: 'who' }, 'Page Inbox'),
          'text' in event.message ? event.message.text : '',
        ),
      );
      return;
    }
    if (event.privateReplyTo !== undefined) this.openedByComment(event.privateReplyTo);
    this.showTyping(false);
    this.showQuickReplies(undefined); // a new message replaces the last one's quick replies
    const drawn = renderMessage(event.message, (title, payload) => void this.act({ type: 'postback', title, payload }, title));
    this.append(event.mid === undefined ? drawn : h('div', { class: 'bot-message' }, drawn, this.reactButton(event.mid)));
    this.showQuickReplies(event.message);
  }

  /** A private reply opens the thread, as Messenger shows it: the comment it answers, and no Get Started. */
  private openedByComment(commentId: string): void {
    const text = this.post.textOf(commentId);
    this.start.hidden = true;
    this.append(h('p', { class: 'note' }, `Replied privately to your comment${text === undefined ? '' : ` “${text}”`}`));
  }

  /** Messenger's reactions, as one: ❤️ on a bot message, pressed again to take it back. */
  private reactButton(mid: string): HTMLElement {
    const b = h('button', { type: 'button', class: 'react', 'aria-pressed': 'false', 'aria-label': 'React with love' }, '♡');
    b.addEventListener('click', () => {
      const on = b.getAttribute('aria-pressed') !== 'true';
      b.setAttribute('aria-pressed', String(on));
      b.textContent = on ? '\u2764\ufe0f' : '♡';
      // Not through act(): a reaction leaves the quick replies and Get Started where they are, as in Messenger.
      void this.send({ customer: this.psid, type: 'reaction', mid, reaction: 'love', action: on ? 'react' : 'unreact' }).then(
        (problem) => {
          if (problem !== undefined) this.alert.textContent = `Not sent: ${problem}`;
        },
      );
    });
    return b;
  }

  private isNew(): boolean {
    return this.log.querySelector('.bubble.customer, .note') === null;
  }

  private async act(action: CustomerAction, said: string | undefined, note?: string): Promise<void> {
    this.start.hidden = true;
    this.showQuickReplies(undefined);
    if (said !== undefined) this.append(h('p', { class: 'bubble customer' }, said));
    if (note !== undefined) this.append(h('p', { class: 'note' }, note));
    this.alert.textContent = '';
    const problem = await this.send({ ...action, customer: this.psid } as DemoAction);
    if (problem !== undefined) this.alert.textContent = `Not sent: ${problem}`;
  }

  private append(el: HTMLElement): void {
    this.log.append(el);
    this.log.scrollTop = this.log.scrollHeight;
  }

  private showTyping(on: boolean): void {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !on;
    if (on) this.typingTimer = setTimeout(() => (this.typing.hidden = true), TYPING_TIMEOUT_MS);
  }

  /** The bot has read the thread: "Seen" under the customer's last message, and nowhere else. */
  private markSeen(): void {
    const mine = this.log.querySelectorAll('.bubble.customer');
    const last = mine[mine.length - 1];
    if (!last || last.querySelector('.seen')) return;
    this.log.querySelectorAll('.seen').forEach((s) => s.remove());
    last.append(h('span', { class: 'seen' }, 'Seen'));
  }

  private showQuickReplies(message: SendMessage | undefined): void {
    const hadFocus = this.quickReplies.contains(document.activeElement);
    this.quickReplies.replaceChildren(...(message?.quick_replies ?? []).map((q) => this.quickReply(q)));
    if (hadFocus) this.input.focus(); // the tapped button is gone: keep the keyboard in the thread
  }

  private quickReply(q: SendQuickReply): HTMLElement {
    const [title, payload] =
      q.content_type === 'text'
        ? [q.title, q.payload]
        : q.content_type === 'user_email'
          ? [DEMO_EMAIL, DEMO_EMAIL]
          : [DEMO_PHONE, DEMO_PHONE];
    const el = h('button', { type: 'button', class: 'quick-reply' }, title);
    // Messenger sends an email or phone quick reply's value (the profile's) as both the text and the payload.
    el.addEventListener('click', () => void this.act({ type: 'quick_reply', title, payload }, title));
    return el;
  }
}
