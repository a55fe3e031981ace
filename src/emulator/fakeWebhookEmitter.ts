import { createHmac } from 'node:crypto';
import type { FakeComment } from './fakeComments';

/**
 * The fake Meta's side of the webhook: delivery, read and Marketing Messages opt-in events, and
 * the Page feed's comments (§4.3b), posted
 * to the service as Meta posts them (`object: 'page'`, one entry, signed with X-Hub-Signature-256 =
 * HMAC-SHA256 of the raw body with the app secret; docs/messenger-platform.md §1.2, §1.3, §2.5, §2.6).
 * With autoDeliver, every message the fake accepted is followed by its delivery (and read), so
 * statistics can be watched end to end.
 */

export interface FakeAutoDeliver {
  /** After a message is accepted (processed, not answered), its delivery webhook follows this much later. */
  readonly delayMs: number;
  /** When set, a read webhook follows the delivery this much later. */
  readonly readDelayMs?: number;
}

export interface FakeWebhookTarget {
  /** The service's webhook URL, path included, e.g. http://127.0.0.1:3000/webhooks/messenger */
  readonly url: string;
  /** Default: the fake's own app secret. */
  readonly appSecret?: string;
  /** Off unless given. */
  readonly autoDeliver?: FakeAutoDeliver;
  /** Posts in flight at once, the rest wait their turn (a 100,000-user broadcast must not open 100,000 sockets). Default 32. */
  readonly maxInFlight?: number;
}

export type FakeWebhookKind = 'delivery' | 'read' | 'optin' | 'event' | 'comment';

export interface FakeEmittedWebhook {
  readonly kind: FakeWebhookKind;
  readonly psid: string;
  /** The fake's clock when posted. */
  readonly at: number;
  /** The service's HTTP status; 0 when it could not be reached. */
  readonly status: number;
}

/** A Marketing Messages opt-in, stop or resume (§2.5). */
export interface FakeOptinWebhook {
  readonly token: string;
  readonly topic: string;
  /** Epoch ms; sent as unix seconds like Meta's samples. Default 6 months from now. */
  readonly expiresAt?: number;
  /** Default optin. stop/resume send `notification_messages_status`. */
  readonly status?: 'optin' | 'stop' | 'resume';
  readonly userTokenStatus?: 'REFRESHED' | 'NOT_REFRESHED';
  readonly timezone?: string;
  /** Event time (epoch ms); default the fake's clock. */
  readonly timestamp?: number;
}

/** A comment on a Page post (or a visitor's post on the Page), as the Page `feed` webhook posts it (§4.3b). */
export interface FakeCommentWebhook {
  /** The comment's id (for a visitor post: the post's id). */
  readonly id: string;
  readonly post: string;
  /** The author's feed id (`from.id`). */
  readonly from: string;
  readonly text: string;
  /** The author's PSID, answered by a private reply (default: none named). */
  readonly psid?: string;
  readonly name?: string;
  /** When written (epoch ms, sent as unix seconds like Meta's samples); default the fake's clock. */
  readonly created?: number;
  /** Default comment; `post` sends a visitor's post (`item: status`). */
  readonly item?: 'comment' | 'post';
  /** Default `add`; `edited` or `remove` send Meta's changes of it. */
  readonly verb?: 'add' | 'edited' | 'remove';
  /** Default the post (a top-level comment); a comment id for a reply to it. */
  readonly parent?: string;
}

export interface FakeWebhookControls {
  configure(target: FakeWebhookTarget): void;
  /** Stops autoDeliver and forgets the target (pending automatic webhooks are dropped). */
  unconfigure(): void;
  /** Posts a delivery event; resolves to the service's HTTP status (0 = unreachable). */
  delivered(
    psid: string,
    delivery: { readonly mids?: readonly string[]; readonly watermark: number; readonly timestamp?: number },
  ): Promise<number>;
  read(psid: string, read: { readonly watermark: number; readonly timestamp?: number }): Promise<number>;
  /** Posts the opt-in and tells the fake's Marketing Messages API about the token (added, stopped or resumed). */
  optin(psid: string, optin: FakeOptinWebhook): Promise<number>;
  /**
   * Posts a feed change for a comment or visitor post, and tells the fake's Graph API of it (a
   * private reply to it is then held to its 7 days). Posting it again is Meta's redelivery.
   */
  comment(comment: FakeCommentWebhook): Promise<number>;
  /** Posts any other messaging event (its fields besides sender, recipient and timestamp). */
  event(psid: string, fields: Readonly<Record<string, unknown>>, timestamp?: number): Promise<number>;
  /** What was posted, in order (up to the fake's maxRecordedCalls). */
  readonly emitted: readonly FakeEmittedWebhook[];
  /** Automatic deliveries and reads scheduled or in flight. */
  readonly pending: number;
  /** Resolves once nothing automatic is pending. */
  idle(): Promise<void>;
}

export interface FakeWebhookEmitter {
  readonly controls: FakeWebhookControls;
  /** The fake accepted a message for `psid` (Send API or marketing): schedules its delivery when autoDeliver is on. */
  accepted(psid: string, mid: string): void;
  reset(): void;
  stop(): Promise<void>;
}

const DEFAULT_TOKEN_LIFE_MS = 183 * 24 * 3600 * 1000;
const POST_TIMEOUT_MS = 10_000;

export interface FakeWebhookEmitterOptions {
  readonly pageId: string;
  readonly appSecret: string;
  readonly now: () => number;
  readonly maxRecorded: number;
  /** Keeps the fake's Marketing Messages API in step with the opt-ins it emits. */
  readonly onOptin: (psid: string, optin: FakeOptinWebhook & { readonly expiresAt: number }) => void;
  /** Keeps the fake's comments in step with the comments it emits. */
  readonly onComment?: (comment: FakeComment) => void;
}

export function createFakeWebhookEmitter(o: FakeWebhookEmitterOptions): FakeWebhookEmitter {
  let target: FakeWebhookTarget | undefined;
  const emitted: FakeEmittedWebhook[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<AbortController>();
  let pending = 0;
  let idleWaiters: Array<() => void> = [];
  let posting = 0;
  let stopped = false;
  const queue: Array<() => void> = [];
  const slot = async (): Promise<void> => {
    if (posting < (target?.maxInFlight ?? 32)) {
      posting += 1;
      return;
    }
    await new Promise<void>((resolve) => queue.push(resolve));
  };
  const freeSlot = (): void => {
    const next = queue.shift();
    if (next !== undefined) next();
    else posting -= 1;
  };

  const settle = (): void => {
    pending -= 1;
    if (pending === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  };

  function post(
    kind: FakeWebhookKind,
    psid: string,
    fields: Readonly<Record<string, unknown>>,
    timestamp?: number,
  ): Promise<number> {
    const ts = timestamp ?? o.now();
    const messaging = [{ sender: { id: psid }, recipient: { id: o.pageId }, timestamp: ts, ...fields }];
    return postEntry(kind, psid, { id: o.pageId, time: ts, messaging });
  }

  /** Posts one entry, signed, as Meta does; `who` names the person in `emitted`. */
  async function postEntry(kind: FakeWebhookKind, who: string, entry: Readonly<Record<string, unknown>>): Promise<number> {
    const t = target;
    if (t === undefined) throw new Error('fake.webhooks: no target; call fake.webhooks.configure({ url }) first');
    const raw = JSON.stringify({ object: 'page', entry: [entry] });
    const signature = `sha256=${createHmac('sha256', t.appSecret ?? o.appSecret)
      .update(raw)
      .digest('hex')}`;
    await slot();
    if (stopped) {
      freeSlot();
      return 0;
    }
    const abort = new AbortController();
    inFlight.add(abort);
    const timeout = setTimeout(() => abort.abort(), POST_TIMEOUT_MS);
    let status = 0;
    try {
      const res = await fetch(t.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body: raw,
        signal: abort.signal,
      });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      // Unreachable or stopped: reported as status 0, like a Meta delivery attempt that failed.
    } finally {
      clearTimeout(timeout);
      inFlight.delete(abort);
      freeSlot();
    }
    if (emitted.length < o.maxRecorded) emitted.push({ kind, psid: who, at: o.now(), status });
    return status;
  }

  function later(ms: number, run: () => Promise<unknown>): void {
    pending += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      run()
        .catch(() => undefined)
        .finally(settle);
    }, ms);
    timers.add(timer);
  }

  const controls: FakeWebhookControls = {
    configure(next) {
      const url = new URL(next.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw new Error(`fake.webhooks: ${next.url} is not an http(s) URL`);
      target = next;
    },
    unconfigure() {
      target = undefined;
      dropPending();
    },
    delivered: (psid, d) =>
      post(
        'delivery',
        psid,
        { delivery: { ...(d.mids === undefined ? {} : { mids: [...d.mids] }), watermark: d.watermark } },
        d.timestamp,
      ),
    read: (psid, r) => post('read', psid, { read: { watermark: r.watermark } }, r.timestamp),
    optin(psid, x) {
      const expiresAt = x.expiresAt ?? o.now() + DEFAULT_TOKEN_LIFE_MS;
      o.onOptin(psid, { ...x, expiresAt });
      const status = x.status === 'stop' ? 'STOP NOTIFICATIONS' : x.status === 'resume' ? 'RESUME NOTIFICATIONS' : undefined;
      return post(
        'optin',
        psid,
        {
          optin: {
            type: 'notification_messages',
            payload: x.topic,
            title: x.topic,
            notification_messages_token: x.token,
            token_expiry_timestamp: Math.floor(expiresAt / 1000),
            user_token_status: x.userTokenStatus ?? 'NOT_REFRESHED',
            notification_messages_timezone: x.timezone ?? 'UTC',
            ...(status === undefined ? {} : { notification_messages_status: status }),
          },
        },
        x.timestamp,
      );
    },
    comment(c) {
      const created = c.created ?? o.now();
      const item = c.item ?? 'comment';
      o.onComment?.({ id: c.id, post: c.post, from: c.from, created, item, text: c.text, ...(c.psid ? { psid: c.psid } : {}) });
      const value = {
        from: { id: c.from, name: c.name ?? 'Fake Commenter' },
        message: c.text,
        post_id: c.post,
        ...(item === 'comment' ? { comment_id: c.id, parent_id: c.parent ?? c.post } : { published: 1 }),
        created_time: Math.floor(created / 1000),
        item: item === 'comment' ? 'comment' : 'status',
        verb: c.verb ?? 'add',
      };
      return postEntry('comment', c.from, { id: o.pageId, time: o.now(), changes: [{ field: 'feed', value }] });
    },
    event: (psid, fields, timestamp) => post('event', psid, fields, timestamp),
    emitted,
    get pending() {
      return pending;
    },
    idle: () => (pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
  };

  function dropPending(): void {
    for (const t of timers) {
      clearTimeout(t);
      settle();
    }
    timers.clear();
  }

  return {
    controls,
    accepted(psid, mid) {
      const auto = target?.autoDeliver;
      if (auto === undefined) return;
      later(auto.delayMs, async () => {
        await controls.delivered(psid, { mids: [mid], watermark: o.now() });
        if (auto.readDelayMs !== undefined) later(auto.readDelayMs, () => controls.read(psid, { watermark: o.now() }));
      });
    },
    reset() {
      dropPending();
      emitted.length = 0;
    },
    async stop() {
      stopped = true;
      target = undefined;
      dropPending();
      for (const a of inFlight) a.abort();
    },
  };
}
