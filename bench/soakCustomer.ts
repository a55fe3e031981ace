/**
 * One simulated customer of the soak (bench/soak.ts): what they post next, given what the bot last
 * sent them. A customer arrives by Get Started or an m.me link, taps quick replies, types free text,
 * sizes, order numbers and an email (sometimes a wrong one first), may ask for a person (then
 * writes on standby, an agent replies from the Page Inbox and presses Done), and leaves after a
 * budget of steps. Meta's delivery and read receipts and redeliveries are added by the load
 * generator (soakLoad.ts), which also owns all timing; this file decides only what comes next.
 *
 * The choices avoid what would make two identical bot messages in a row legitimate (two free texts
 * in a row, two wrong emails, the menu asked for from the menu), so the checker can count an
 * identical repeat as a duplicate send (soakChecks.ts). Sizes and order numbers typed are distinct
 * per customer and echoed by the bot ("EU 41", "order 104233"), which the checker uses to see each
 * customer's replies in the order the customer wrote.
 */
import { soakBodies } from './soakBodies';

export type PostKind =
  | 'get_started'
  | 'ref_link'
  | 'quick_reply'
  | 'ice_breaker'
  | 'free_text'
  | 'size'
  | 'email'
  | 'bad_email'
  | 'order_number'
  | 'ask_person'
  | 'standby_text'
  | 'agent_echo'
  | 'done'
  | 'delivery'
  | 'read'
  | 'redelivery';

export interface Post {
  readonly kind: PostKind;
  readonly body: string;
  /** A customer action the engine counts once in the user's state (`inbound`): messages, taps, links, standby texts. */
  readonly counts: boolean;
  /** The bot should answer it (the customer waits for the answer before going on). */
  readonly expectsReply: boolean;
  /** A text the bot's answer will contain (an order number, a size), for the order check. */
  readonly mark?: string;
}

/** What the customer saw last from the bot. */
export interface BotMessage {
  readonly text: string;
  readonly quickReplies: ReadonlyArray<{ readonly title: string; readonly payload: string }>;
}

export interface CustomerContext {
  readonly pageId: string;
  readonly appId: string;
  readonly random: () => number;
  /** Text of the running broadcast: its message is not an answer to react to. */
  readonly broadcastText?: string;
}

const FREE_TEXTS = [
  'How much is shipping?',
  'How do I return an item?',
  'What size should I pick?',
  'Can I pay with PayPal?',
  'When are you open?',
  'hello',
  'shoes',
  'blorp zanzibar quux',
  'do you sell umbrellas for cats',
];
const ICE_BREAKERS = [
  { title: 'Which running shoes do you have?', payload: 'SHOP_SHOES' },
  { title: 'How do I get 10% off?', payload: 'GET_DISCOUNT' },
  { title: 'Where is my order?', payload: 'ORDER_STATUS' },
];
const PERSON = /talk to a person|leave a message/i;

export class SoakCustomer {
  /** Customer actions acknowledged (200) by the webhook: what `inbound` must count. */
  acked = 0;
  /** Customer actions given up on without a 200 (may or may not have been stored). */
  uncertain = 0;
  /** [from, to): while the Page Inbox owned the thread (from: the pass call at the fake; to: Done posted). */
  readonly humanIntervals: Array<{ from: number; to: number }> = [];
  /** Sizes and order numbers the customer typed, in order ("EU 41", "order 104233"). */
  readonly marks: string[] = [];
  phase: 'bot' | 'asked_person' | 'with_person' = 'bot';
  steps = 0;
  last: BotMessage = { text: '', quickReplies: [] };
  private mids = 0;
  private lastWasText = false;
  private badEmailUsed = false;
  private readonly budget: number;
  private readonly personAt: number | undefined;
  private readonly sizes: number[];

  constructor(
    readonly psid: string,
    private readonly ctx: CustomerContext,
    personShare: number,
  ) {
    const r = ctx.random;
    this.budget = 6 + Math.floor(r() * 10);
    this.personAt = r() < personShare ? 2 + Math.floor(r() * (this.budget - 2)) : undefined;
    this.sizes = Array.from({ length: 14 }, (_, i) => 35 + i).sort(() => r() - 0.5);
  }

  private mid(): string {
    return `m_${this.psid}_${++this.mids}`;
  }

  private post(kind: PostKind, body: string, extra: Partial<Post> = {}): Post {
    return { kind, body, counts: true, expectsReply: true, ...extra };
  }

  /** The first event: Get Started (70%) or an m.me link with a ref (the summer sale). */
  arrive(now: number): Post {
    this.steps += 1;
    const { pageId } = this.ctx;
    return this.ctx.random() < 0.7
      ? this.post('get_started', soakBodies.postback(pageId, this.psid, now, this.mid(), 'Get Started', 'GET_STARTED'))
      : this.post('ref_link', soakBodies.refLink(pageId, this.psid, now, 'summer-sale'));
  }

  /** The bot sent a message; the running broadcast's is not something to answer. */
  saw(message: BotMessage): void {
    if (this.ctx.broadcastText !== undefined && message.text === this.ctx.broadcastText) return;
    this.last = message;
  }

  /** The next post while the bot owns the thread, or undefined when the customer leaves. */
  next(now: number): Post | undefined {
    const { pageId } = this.ctx;
    const r = this.ctx.random;
    const text = this.last.text;
    const say = (kind: PostKind, t: string, extra: Partial<Post> = {}): Post => {
      this.steps += 1;
      this.lastWasText = kind === 'free_text';
      return this.post(kind, soakBodies.text(pageId, this.psid, now, this.mid(), t), extra);
    };
    const tap = (kind: PostKind, title: string, payload: string): Post => {
      this.steps += 1;
      this.lastWasText = false;
      return this.post(kind, soakBodies.quickReply(pageId, this.psid, now, this.mid(), title, payload));
    };
    // Questions the bot asked are answered first (a customer who leaves mid-question is realistic too, but rarer).
    if (/shoe size|Sizes go from/.test(text) && this.sizes.length > 0) {
      const size = this.sizes.pop()!;
      this.marks.push(`EU ${size}`);
      return say('size', String(size), { mark: `EU ${size}` });
    }
    if (/your email|look like an email/.test(text)) {
      if (!this.badEmailUsed && !/look like/.test(text) && r() < 0.2) {
        this.badEmailUsed = true;
        return say('bad_email', 'my email is bob at home');
      }
      return say('email', `${this.psid}@example.com`);
    }
    if (/order number|Order numbers have/.test(text)) {
      const order = String(100_000 + Math.floor(r() * 900_000));
      this.marks.push(`order ${order}`);
      return say('order_number', order, { mark: `order ${order}` });
    }
    if (this.steps >= this.budget) return undefined;
    if (this.personAt !== undefined && this.steps >= this.personAt && this.phase === 'bot') {
      this.phase = 'asked_person';
      const qr = this.last.quickReplies.find((q) => PERSON.test(q.title));
      return qr ? tap('ask_person', qr.title, qr.payload) : say('ask_person', 'talk to a person');
    }
    const choices = this.last.quickReplies.filter((q) => !PERSON.test(q.title) && !(q.title === 'Menu' && /Pick one/.test(text)));
    if (choices.length > 0 && (this.lastWasText || r() < 0.75)) {
      const q = choices[Math.floor(r() * choices.length)]!;
      return tap('quick_reply', q.title, q.payload);
    }
    if (this.lastWasText) {
      // Never two free texts in a row (two fallbacks in a row would be the same message twice).
      const ib = ICE_BREAKERS[Math.floor(r() * ICE_BREAKERS.length)]!;
      this.steps += 1;
      this.lastWasText = false;
      return this.post('ice_breaker', soakBodies.postback(pageId, this.psid, now, this.mid(), ib.title, ib.payload));
    }
    return say('free_text', FREE_TEXTS[Math.floor(r() * FREE_TEXTS.length)]!);
  }

  /**
   * The thread went to the Page Inbox (the pass call reached the fake at `at`): the customer writes
   * on standby, a person answers from the Inbox, and presses Done. `done` is posted last; the
   * generator hands the thread back at the fake just before posting it.
   */
  withPerson(at: number, now: number): Post[] {
    this.phase = 'with_person';
    this.humanIntervals.push({ from: at, to: Number.POSITIVE_INFINITY });
    const { pageId, appId } = this.ctx;
    const posts: Post[] = [
      this.post('standby_text', soakBodies.standbyText(pageId, this.psid, now, this.mid(), 'hello? is someone there'), {
        expectsReply: false,
      }),
      this.post('agent_echo', soakBodies.agentEcho(pageId, this.psid, now + 1, this.mid(), 'Hi, Anna here. How can I help?'), {
        counts: false,
        expectsReply: false,
      }),
    ];
    if (this.ctx.random() < 0.5)
      posts.push(
        this.post('standby_text', soakBodies.standbyText(pageId, this.psid, now + 2, this.mid(), 'my parcel is late'), {
          expectsReply: false,
        }),
      );
    posts.push(this.post('done', soakBodies.passedBack(pageId, this.psid, now + 3, appId), { counts: false }));
    return posts;
  }

  /** Done is being posted now: the person's ownership ends here. */
  handedBack(now: number): void {
    const open = this.humanIntervals[this.humanIntervals.length - 1];
    if (open && open.to === Number.POSITIVE_INFINITY) open.to = now;
    this.phase = 'bot';
    this.last = { text: '', quickReplies: [] };
  }

  receipt(kind: 'delivery' | 'read', now: number, mids: readonly string[]): Post {
    const { pageId } = this.ctx;
    const body =
      kind === 'delivery' ? soakBodies.delivery(pageId, this.psid, now, mids) : soakBodies.read(pageId, this.psid, now);
    return { kind, body, counts: false, expectsReply: false };
  }
}
