import type { Agent } from 'node:http';
import { textMessageBody } from '../src/cli/sendEvent';
import { postSigned } from '../tests/support/webhookClient';

/** One answered text: when its webhook POST started and how long until its reply reached the fake. */
export interface ReplySample {
  readonly postedAt: number;
  readonly ms: number;
}

export interface TrickleOptions {
  readonly port: number;
  readonly pageId: string;
  /** Texts a second over all users (offered: the schedule does not wait for answers). */
  readonly ratePerSec: number;
  readonly users: number;
  /** Makes PSIDs and mids this phase's own. */
  readonly tag: string;
  readonly agent: Agent;
}

/**
 * A steady trickle of customers to one Page: text k goes at start + k / rate to user k mod users,
 * whatever happened to the earlier ones (an open loop, so a slow service shows as latency, not as
 * a lower rate). The Page's flow answers each text with one message, and one user's answers arrive
 * in order, so the n-th message the fake gets for a user answers that user's n-th text: its latency
 * runs from that text's POST to the message's arrival at the fake (one clock, this process's).
 */
export class Trickle {
  readonly samples: ReplySample[] = [];
  sent = 0;
  /** POSTs answered other than 200 (or failed): their texts are not waited for. */
  postsFailed = 0;
  /** Messages to a user of this trickle with no text of theirs waiting (0 when each text gets one answer). */
  extraReplies = 0;
  private readonly pending = new Map<string, number[]>();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly posts: Promise<void>[] = [];

  constructor(private readonly o: TrickleOptions) {}

  psidOf(user: number): string {
    return `${this.o.tag}-u${user}`;
  }

  /** Starts the schedule; stop() ends it. */
  start(): void {
    const started = Date.now();
    const interval = 1000 / this.o.ratePerSec;
    const tick = () => {
      if (this.stopped) return;
      // Every text now due goes (a late timer sends the ones it missed at once, each timed from its own POST).
      while (!this.stopped && started + this.sent * interval <= Date.now()) this.post(this.sent++);
      this.timer = setTimeout(tick, Math.max(0, started + this.sent * interval - Date.now()));
    };
    tick();
  }

  private post(k: number): void {
    const psid = this.psidOf(k % this.o.users);
    const postedAt = Date.now();
    const queue = this.pending.get(psid) ?? [];
    queue.push(postedAt);
    this.pending.set(psid, queue);
    const body = textMessageBody(this.o.pageId, psid, 'hi', postedAt, `m_${this.o.tag}_${k}`);
    this.posts.push(
      postSigned(this.o.port, body, this.o.agent)
        .then((res) => res.status === 200)
        .catch(() => false)
        .then((ok) => {
          if (ok) return;
          this.postsFailed += 1;
          const at = queue.indexOf(postedAt);
          if (at !== -1) queue.splice(at, 1);
        }),
    );
  }

  /** A message the Page's fake accepted for `psid` at `at`. */
  reply(psid: string, at: number): void {
    const postedAt = this.pending.get(psid)?.shift();
    if (postedAt === undefined) {
      if (psid.startsWith(`${this.o.tag}-`)) this.extraReplies += 1;
      return;
    }
    this.samples.push({ postedAt, ms: at - postedAt });
  }

  /** Texts posted (before `before`, if given) and not yet answered. */
  unanswered(before = Infinity): number {
    let n = 0;
    for (const q of this.pending.values()) n += q.filter((at) => at < before).length;
    return n;
  }

  /** Ends the schedule and waits for every POST's answer (not for the replies). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await Promise.all(this.posts);
  }
}
