/**
 * The soak's load generator: an open-loop rate of posts (SOAK_RATE a second) spread over the web
 * processes. Each slot goes to a customer whose next post is due, or to a new customer when none
 * is (so the offered rate stays fixed whatever the service does). A customer posts one event at a
 * time, waits for its 200 (retrying a refusal as Meta does, the same bytes), waits for the bot's
 * answer at the fake Graph API when one is due, thinks, then decides its next step
 * (soakCustomer.ts). Meta's side is simulated here too: delivery and read receipts for the bot's
 * messages, a redelivery of 5% of the bodies already acknowledged, and the Page Inbox handing
 * threads back.
 */
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { FakeCall, FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { signBody } from '../src/webhook/verifySignature';
import { marksIn, type SentRecord } from './soakChecks';
import { SoakCustomer, type BotMessage, type Post, type PostKind } from './soakCustomer';

export interface SoakLoadOptions {
  readonly pageId: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly webPorts: readonly number[];
  readonly rate: number;
  /** Share of customers who ask for a person. */
  readonly personShare: number;
  /** Share of acknowledged bodies Meta posts again. */
  readonly redeliverShare: number;
  /** Posts outstanding at most; a slot finding this many is not used (counted in slotsMissed). */
  readonly maxInFlight: number;
  /** How long a customer waits for an answer (or for the pass to a person) before leaving. */
  readonly replyTimeoutMs: number;
  readonly psidPrefix: string;
  readonly random: () => number;
  readonly broadcastText?: string;
}

interface Queued {
  readonly post: Post;
  readonly dueAt: number;
}

interface Live {
  readonly customer: SoakCustomer;
  readonly queue: Queued[];
  inFlight: boolean;
  queuedReady: boolean;
  /** Waiting for the bot's answer to a post started at `since`. */
  awaiting?: { readonly since: number; firstAt?: number };
  settle?: NodeJS.Timeout;
  giveUp?: NodeJS.Timeout;
  /** message_ids of the bot's messages since the last receipt. */
  mids: string[];
  left: boolean;
}

/** Meta retries for hours; 20 tries over about half a minute cover a failover here. */
const RETRIES = 20;
/** After the last message of an answer, how long before it counts as complete. */
const SETTLE_MS = 1500;

export class SoakLoad {
  readonly customers = new Map<string, SoakCustomer>();
  readonly sends = new Map<string, SentRecord[]>();
  readonly ackMs: number[] = [];
  readonly e2eMs: number[] = [];
  readonly byKind: Partial<Record<PostKind, number>> = {};
  offered = 0;
  acknowledged = 0;
  attemptsRefused = 0;
  givenUp = 0;
  slotsMissed = 0;
  replyTimeouts = 0;
  handovers = 0;
  private rate: number;
  private readonly live = new Map<string, Live>();
  private readonly ready: Live[] = [];
  private readonly agents: Agent[];
  private inFlight = 0;
  private next = 0;
  private stopped = false;
  private ticker?: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe?: () => void;

  constructor(
    private readonly o: SoakLoadOptions,
    private readonly fake: FakeGraphApi,
  ) {
    this.rate = o.rate;
    this.agents = o.webPorts.map(() => new Agent({ keepAlive: true, maxSockets: Math.ceil(o.maxInFlight / o.webPorts.length) }));
  }

  setRate(rate: number): void {
    this.rate = rate;
  }

  get outstanding(): number {
    return this.inFlight;
  }

  start(): void {
    this.unsubscribe = this.fake.onCall((c) => this.onCall(c));
    let credit = 0;
    let last = Date.now();
    this.ticker = setInterval(() => {
      const now = Date.now();
      credit = Math.min(credit + (this.rate * (now - last)) / 1000, this.rate); // at most a second's backlog
      last = now;
      while (credit >= 1) {
        credit -= 1;
        this.slot(now);
      }
    }, 10);
  }

  /** Stops offering; resolves when every post out has its answer (or has been given up). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    for (const t of this.timers) clearTimeout(t);
    for (const l of this.live.values()) {
      clearTimeout(l.settle);
      clearTimeout(l.giveUp);
    }
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    this.unsubscribe?.();
    for (const a of this.agents) a.destroy();
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private think(): number {
    return 500 + this.o.random() * 2000;
  }

  private slot(now: number): void {
    if (this.inFlight >= this.o.maxInFlight) {
      this.slotsMissed += 1;
      return;
    }
    let l = this.ready.shift();
    if (l === undefined) {
      const psid = `${this.o.psidPrefix}${this.customers.size}`;
      const customer = new SoakCustomer(
        psid,
        { pageId: this.o.pageId, appId: this.o.appId, random: this.o.random, broadcastText: this.o.broadcastText },
        this.o.personShare,
      );
      this.customers.set(psid, customer);
      l = {
        customer,
        queue: [{ post: customer.arrive(now), dueAt: now }],
        inFlight: false,
        queuedReady: false,
        mids: [],
        left: false,
      };
      this.live.set(psid, l);
    }
    l.queuedReady = false;
    const item = l.queue.shift();
    if (item) this.send(l, item.post);
  }

  /** Puts the customer in the ready line once its next post is due. */
  private schedule(l: Live): void {
    if (l.inFlight || l.queuedReady || this.stopped) return;
    const head = l.queue[0];
    if (!head) return;
    const wait = head.dueAt - Date.now();
    if (wait > 0) return this.later(wait, () => this.schedule(l));
    l.queuedReady = true;
    this.ready.push(l);
  }

  private enqueue(l: Live, post: Post, delayMs: number): void {
    l.queue.push({ post, dueAt: Date.now() + delayMs });
    this.schedule(l);
  }

  private send(l: Live, post: Post): void {
    l.inFlight = true;
    this.inFlight += 1;
    this.offered += 1;
    this.byKind[post.kind] = (this.byKind[post.kind] ?? 0) + 1;
    const started = Date.now();
    if (post.kind === 'done') {
      // The person pressed Done: the Page Inbox hands the thread back (at the fake, as Meta would record it).
      this.fake.setThreadOwner(l.customer.psid, this.o.appId);
      l.customer.handedBack(started);
    }
    const port = this.next++ % this.o.webPorts.length;
    const done = this.deliver(post.body, port).then((ok) => {
      this.pending.delete(done);
      this.inFlight -= 1;
      l.inFlight = false;
      if (ok) {
        this.acknowledged += 1;
        this.ackMs.push(Date.now() - started);
        if (post.counts) l.customer.acked += 1;
      } else {
        this.givenUp += 1;
        if (post.counts) l.customer.uncertain += 1;
      }
      if (ok && post.kind !== 'redelivery' && this.o.random() < this.o.redeliverShare)
        this.enqueue(l, { ...post, kind: 'redelivery', counts: false, expectsReply: false }, 1000 + this.o.random() * 2000);
      if (post.expectsReply) this.await(l, started);
      else if (l.queue.length === 0 && l.customer.phase === 'bot' && l.awaiting === undefined && !l.left) this.decide(l);
      this.schedule(l);
    });
    this.pending.add(done);
  }

  /** POSTs until a 200 (the same bytes, as Meta retries), RETRIES times at most. */
  private async deliver(body: string, port: number): Promise<boolean> {
    const signature = signBody(body, this.o.appSecret);
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const p = (port + attempt) % this.o.webPorts.length; // a refusing process: try the other one next
      const status = await new Promise<number>((resolve) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: this.o.webPorts[p],
            path: '/webhooks/messenger',
            method: 'POST',
            agent: this.agents[p],
            headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.setTimeout(30_000, () => req.destroy());
        req.on('error', () => resolve(0));
        req.end(body);
      });
      if (status === 200) return true;
      this.attemptsRefused += 1;
      await new Promise((r) => setTimeout(r, Math.min(2000, 250 * (attempt + 1))));
    }
    return false;
  }

  private await(l: Live, since: number): void {
    l.awaiting = { since };
    clearTimeout(l.giveUp);
    l.giveUp = setTimeout(() => {
      if (this.stopped || l.awaiting?.since !== since) return;
      if (l.awaiting.firstAt === undefined) {
        // No answer at all: the customer gives up and leaves. Acting on the message before would
        // repeat a step, and the bot's same answer twice would look like a duplicate send.
        this.replyTimeouts += 1;
        l.awaiting = undefined;
        l.left = true;
        return;
      }
      this.answered(l);
    }, this.o.replyTimeoutMs);
  }

  /** The answer is complete (or waited for long enough): receipts, then the next step after a pause. */
  private answered(l: Live): void {
    clearTimeout(l.settle);
    clearTimeout(l.giveUp);
    l.awaiting = undefined;
    const now = Date.now();
    if (l.mids.length > 0 && this.o.random() < 0.5) this.enqueue(l, l.customer.receipt('delivery', now, l.mids.splice(0)), 0);
    if (this.o.random() < 0.3) this.enqueue(l, l.customer.receipt('read', now, []), 0);
    if (l.customer.phase === 'bot') this.decide(l);
    else if (l.customer.phase === 'asked_person')
      // The pass to the Page Inbox is what the customer waits for now (onCall); without it, back to the bot.
      this.later(this.o.replyTimeoutMs, () => {
        if (l.customer.phase === 'asked_person') {
          this.replyTimeouts += 1;
          l.left = true;
        }
      });
  }

  private decide(l: Live): void {
    const delay = this.think();
    this.later(delay, () => {
      if (l.left || l.inFlight || l.awaiting || l.queue.some((q) => q.post.expectsReply)) return;
      const post = l.customer.next(Date.now());
      if (post === undefined) {
        l.left = true;
        return;
      }
      this.enqueue(l, post, 0);
    });
  }

  private onCall(c: FakeCall): void {
    const psid = c.recipientId;
    if (psid === undefined || !psid.startsWith(this.o.psidPrefix) || c.status !== 200) return;
    if (c.endpoint !== 'messages' && c.endpoint !== 'thread_control') return;
    const body = c.body as { message?: { text?: string; quick_replies?: Array<{ title?: string; payload?: string }> } };
    const { recipient: _r, ...rest } = c.body as Record<string, unknown>;
    const hash = createHash('sha1')
      .update(`${c.path}|${JSON.stringify(rest)}`)
      .digest('base64url')
      .slice(0, 16);
    const text = body.message?.text ?? (c.endpoint === 'messages' ? '[template]' : '');
    const record: SentRecord = {
      at: c.at,
      kind: c.endpoint === 'messages' ? 'message' : 'thread_control',
      hash,
      marks: marksIn(text),
      text: text.slice(0, 40),
    };
    let list = this.sends.get(psid);
    if (!list) this.sends.set(psid, (list = []));
    list.push(record);
    const l = this.live.get(psid);
    if (!l || this.stopped) return;
    if (c.endpoint === 'thread_control') {
      if (c.path.endsWith('/pass_thread_control') && l.customer.phase === 'asked_person') {
        this.handovers += 1;
        let at = Date.now() + this.think();
        for (const post of l.customer.withPerson(c.at, at)) {
          l.queue.push({ post, dueAt: at });
          at += this.think();
        }
        this.schedule(l);
      }
      return;
    }
    if (this.o.broadcastText !== undefined && text === this.o.broadcastText) return;
    const mid = (c.response as { message_id?: string } | undefined)?.message_id;
    if (mid) l.mids = [...l.mids, mid].slice(-10);
    l.customer.saw({
      text,
      quickReplies: (body.message?.quick_replies ?? []).map((q) => ({ title: q.title ?? '', payload: q.payload ?? '' })),
    } satisfies BotMessage);
    if (!l.awaiting) return;
    if (l.awaiting.firstAt === undefined) {
      l.awaiting.firstAt = c.at;
      this.e2eMs.push(c.at - l.awaiting.since);
    }
    clearTimeout(l.settle);
    l.settle = setTimeout(() => {
      if (!this.stopped) this.answered(l);
    }, SETTLE_MS);
  }
}
