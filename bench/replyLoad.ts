/**
 * The conversation load of `npm run bench:reply` and the tally of its replies at the fake Graph API.
 *
 * Load: every user sends `messages` texts. Users are dealt to `connections` lanes, each posting
 * one request at a time over a keep-alive connection, all lanes at once. A user's next message is
 * posted only once the previous one was acknowledged (Messenger delivers a user's messages in order
 * too), but never waits for a reply. Two patterns:
 *   burst        a lane posts all the messages of one user back to back, then the next user's
 *                (someone typing several lines fast: the hard case for per-user ordering)
 *   interleaved  a lane posts message 1 of each of its users, then message 2 of each, and so on
 *                (a user's messages are a lane's round apart: many slow typists) Every request is built and signed before the clock starts, with both
 * signatures: Talkshop checks X-Hub-Signature-256, Bottender 1.5 only the legacy sha1 one.
 *
 * Tally: each reply's "count N" at the fake, per user, in arrival order.
 */
import { createHmac } from 'node:crypto';
import type { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { textMessageBody } from '../src/cli/sendEvent';
import type { FakeCall, FakeGraphApi } from '../src/emulator/fakeGraphApi';
import { signBody } from '../src/webhook/verifySignature';
import { post } from '../tests/support/webhookClient';
import { overtaken } from './overtaken';

export interface SignedRequest {
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface ConversationSpec {
  readonly pageId: string;
  readonly appSecret: string;
  readonly psids: readonly string[];
  readonly messages: number;
  readonly connections: number;
  /** Makes every mid unique across targets and rounds. */
  readonly tag: string;
  readonly pattern: LoadPattern;
}

export const LOAD_PATTERNS = ['burst', 'interleaved'] as const;
export type LoadPattern = (typeof LOAD_PATTERNS)[number];

function signedText(spec: ConversationSpec, psid: string, m: number, now: number): SignedRequest {
  const body = textMessageBody(spec.pageId, psid, `hello ${m + 1}`, now, `m_${spec.tag}_${psid}_${m}`);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signBody(body, spec.appSecret),
      'x-hub-signature': `sha1=${createHmac('sha1', spec.appSecret).update(body).digest('hex')}`,
    },
  };
}

/** The requests of each lane, in the order the lane posts them. */
export function buildLanes(spec: ConversationSpec): SignedRequest[][] {
  const now = Date.now();
  const lanes: SignedRequest[][] = Array.from({ length: Math.min(spec.connections, spec.psids.length) }, () => []);
  const push = (i: number, m: number) => lanes[i % lanes.length]?.push(signedText(spec, spec.psids[i] ?? '', m, now));
  if (spec.pattern === 'burst') {
    for (let i = 0; i < spec.psids.length; i++) for (let m = 0; m < spec.messages; m++) push(i, m);
  } else {
    for (let m = 0; m < spec.messages; m++) for (let i = 0; i < spec.psids.length; i++) push(i, m);
  }
  return lanes;
}

export interface PostResult {
  /** Epoch ms just before the first request. */
  readonly startedAt: number;
  readonly ok: number;
  readonly failed: number;
  readonly sampleError?: string;
}

/** Posts every lane's requests to the webhook, lanes concurrently, each lane in order. */
export async function postLanes(port: number, lanes: readonly SignedRequest[][], agent: Agent): Promise<PostResult> {
  let ok = 0;
  let failed = 0;
  let sampleError: string | undefined;
  const startedAt = Date.now();
  await Promise.all(
    lanes.map(async (lane) => {
      for (const r of lane) {
        const res = await post(port, '/webhooks/messenger', r.body, r.headers, agent).catch((err: unknown) => ({
          status: 0,
          body: String(err),
        }));
        if (res.status === 200) ok += 1;
        else {
          failed += 1;
          sampleError ??= `${res.status} ${res.body.slice(0, 300)}`;
        }
      }
    }),
  );
  return { startedAt, ok, failed, ...(sampleError === undefined ? {} : { sampleError }) };
}

const replyBody = z.object({ message: z.object({ text: z.string() }) });
/** A new customer's first reply opens with the bot's disclosure paragraph: "count N" is its last line. */
const COUNT = /(?:^|\n)count (\d+)$/;

/** The N of a "count N" reply; NaN for anything else (it then breaks the user's sequence). */
function countOf(call: FakeCall): number {
  const parsed = replyBody.safeParse(call.body);
  const n = parsed.success ? COUNT.exec(parsed.data.message.text)?.[1] : undefined;
  return n === undefined ? Number.NaN : Number(n);
}

export interface ReplyCheck {
  /** Sum over users of (messages sent − highest count replied). */
  readonly lostUpdates: number;
  readonly usersWithLostUpdates: number;
  /** Users whose replies, in arrival order, are not exactly count 1, 2, …, k. */
  readonly usersOutOfOrder: number;
  /** Users with a reply carrying a lower count than one that arrived before it. */
  readonly usersReordered: number;
  /** Replies expected (messages per user) but not received, and received beyond that. */
  readonly missing: number;
  readonly extraReplies: number;
}

/** Watches the fake for the calls about `psids`: their replies' counts, in arrival order. */
export class ReplyTally {
  private readonly counts = new Map<string, number[]>();
  replies = 0;
  /** Arrival (epoch ms, the fake's clock) of the latest reply. */
  lastReplyAt = 0;
  /** Every call about these users, replies included, and those the fake refused. */
  graphCalls = 0;
  graphErrors = 0;
  /** Those calls by endpoint (a sender action is `sender_action`, a profile lookup `user_profile`). */
  readonly byEndpoint: Record<string, number> = {};
  private readonly unsubscribe: () => void;

  constructor(fake: FakeGraphApi, psids: readonly string[]) {
    for (const p of psids) this.counts.set(p, []);
    this.unsubscribe = fake.onCall((c) => {
      const seq = c.recipientId === undefined ? undefined : this.counts.get(c.recipientId);
      if (seq === undefined) return;
      this.graphCalls += 1;
      this.byEndpoint[c.endpoint] = (this.byEndpoint[c.endpoint] ?? 0) + 1;
      if (c.status !== 200) this.graphErrors += 1;
      else if (c.endpoint === 'messages') {
        seq.push(countOf(c));
        this.replies += 1;
        this.lastReplyAt = c.at;
      }
    });
  }

  check(messages: number): ReplyCheck {
    let lostUpdates = 0;
    let usersWithLostUpdates = 0;
    let usersOutOfOrder = 0;
    let usersReordered = 0;
    let missing = 0;
    let extraReplies = 0;
    for (const seq of this.counts.values()) {
      const highest = seq.reduce((max, n) => (n > max ? n : max), 0);
      lostUpdates += Math.max(0, messages - highest);
      if (highest !== messages) usersWithLostUpdates += 1;
      if (seq.some((n, i) => n !== i + 1)) usersOutOfOrder += 1;
      if (overtaken(seq).length > 0) usersReordered += 1;
      missing += Math.max(0, messages - seq.length);
      extraReplies += Math.max(0, seq.length - messages);
    }
    return { lostUpdates, usersWithLostUpdates, usersOutOfOrder, usersReordered, missing, extraReplies };
  }

  close(): void {
    this.unsubscribe();
  }
}

export type WaitOutcome = { readonly kind: 'complete' } | { readonly kind: 'stalled' | 'capped'; readonly replies: number };

/**
 * Returns once `expected` replies arrived, or no reply arrived for `idleMs` (stalled), or `capMs`
 * passed since `since` (capped). Logs progress every 5 s.
 */
export async function waitForReplies(
  tally: ReplyTally,
  expected: number,
  o: { readonly since: number; readonly idleMs: number; readonly capMs: number; readonly log: (msg: string) => void },
): Promise<WaitOutcome> {
  let lastCount = -1;
  let progressAt = Date.now();
  let loggedAt = Date.now();
  for (;;) {
    if (tally.replies >= expected) return { kind: 'complete' };
    const now = Date.now();
    if (tally.replies !== lastCount) {
      lastCount = tally.replies;
      progressAt = now;
    }
    if (now - progressAt > o.idleMs) return { kind: 'stalled', replies: tally.replies };
    if (now - o.since > o.capMs) return { kind: 'capped', replies: tally.replies };
    if (now - loggedAt >= 5000) {
      loggedAt = now;
      o.log(`${tally.replies}/${expected} replies`);
    }
    await sleep(25);
  }
}
