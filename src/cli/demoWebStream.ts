import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeCall } from '../emulator/fakeGraphApi';
import { messageSchema, senderActionSchema, type SendMessage } from '../platform/sendApiSchema';

/**
 * What the bot sent, as the demo page's server-sent events stream (GET /demo/api/stream) carries
 * it: each message and sender action the fake Graph API accepted, for one customer, the Page
 * Inbox's replies, and a `state` nudge whenever a customer's conversation may have changed. The
 * page draws them and re-reads state on a nudge; nothing polls.
 */
export type DemoStreamEvent =
  | {
      readonly kind: 'message';
      readonly customer: string;
      readonly at: number;
      readonly message: SendMessage;
      /** Meta's id for the message (what a customer's reaction names); absent when the fake gave none. */
      readonly mid?: string;
      /** A person's reply from the Page Inbox (Meta shows it to the customer; it never reaches the Send API). */
      readonly from?: 'page_inbox';
      /** A private reply: the comment (or visitor post) it answers, which opened the thread. */
      readonly privateReplyTo?: string;
    }
  /** The customer's comment under the Page's post (POST /demo/api/comments), as the post shows it. */
  | {
      readonly kind: 'comment';
      readonly customer: string;
      readonly at: number;
      readonly post: string;
      readonly id: string;
      readonly text: string;
    }
  /** The Page's public reply under one of the customer's comments (the bot's POST /<comment>/comments). */
  | {
      readonly kind: 'comment_reply';
      readonly customer: string;
      readonly at: number;
      /** The comment it answers. */
      readonly comment: string;
      readonly text: string;
    }
  /** Something happened to the customer's conversation (a call from the bot, an event posted): panels showing their state re-read it. */
  | { readonly kind: 'state'; readonly customer: string; readonly at: number }
  | {
      readonly kind: 'action';
      readonly customer: string;
      readonly at: number;
      readonly action: 'typing_on' | 'typing_off' | 'mark_seen';
    };

/** What the bot sent: a message or a sender action. */
export type DemoBotEvent = Extract<DemoStreamEvent, { kind: 'message' | 'action' }>;

/** What the page is shown of a call that reached the fake Graph API; undefined: nothing. */
export function streamEventOf(call: FakeCall): DemoBotEvent | undefined {
  if (call.status !== 200 || !call.recipientId) return undefined;
  if (call.endpoint === 'sender_action') {
    const parsed = senderActionSchema.safeParse(call.body);
    return parsed.success
      ? { kind: 'action', customer: call.recipientId, at: call.at, action: parsed.data.sender_action }
      : undefined;
  }
  if (call.endpoint !== 'messages') return undefined;
  const message = messageSchema.safeParse((call.body as { message?: unknown } | undefined)?.message);
  if (!message.success) return undefined;
  const mid = (call.response as { message_id?: unknown } | undefined)?.message_id;
  const to = (call.body as { recipient?: { comment_id?: unknown; post_id?: unknown } } | undefined)?.recipient;
  const commented = to?.comment_id ?? to?.post_id;
  return {
    kind: 'message',
    customer: call.recipientId,
    at: call.at,
    message: message.data,
    ...(typeof mid === 'string' ? { mid } : {}),
    ...(typeof commented === 'string' ? { privateReplyTo: commented } : {}),
  };
}

export interface DemoStreamOptions {
  /** Open streams beyond this are refused with 503 (each holds a socket and a timer). */
  readonly maxStreams: number;
  /** A comment line this often keeps proxies and the browser from closing a quiet stream. */
  readonly heartbeatMs: number;
  /** Events kept for a page that reconnects with Last-Event-ID (EventSource does so by itself). */
  readonly replay: number;
}

export const DEMO_STREAM_DEFAULTS: DemoStreamOptions = { maxStreams: 16, heartbeatMs: 15_000, replay: 500 };

export interface DemoStream {
  publish(event: DemoStreamEvent): void;
  /** Answers GET /demo/api/stream: holds the response open and writes events to it. */
  open(req: IncomingMessage, res: ServerResponse): void;
  readonly openStreams: number;
  /** Ends every open stream (the demo is stopping). */
  close(): void;
}

/** The server-sent events hub: one writer per open page, a bounded replay buffer, a heartbeat each. */
export function createDemoStream(options: DemoStreamOptions = DEMO_STREAM_DEFAULTS): DemoStream {
  const clients = new Set<ServerResponse>();
  const recent: Array<{ id: number; frame: string }> = [];
  let lastId = 0;

  const frameOf = (id: number, event: DemoStreamEvent) => `id: ${id}\nevent: bot\ndata: ${JSON.stringify(event)}\n\n`;

  return {
    get openStreams() {
      return clients.size;
    },
    publish(event) {
      const id = ++lastId;
      const frame = frameOf(id, event);
      recent.push({ id, frame });
      if (recent.length > options.replay) recent.shift();
      for (const res of clients) res.write(frame);
    },
    open(req, res) {
      if (clients.size >= options.maxStreams) {
        res
          .writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' })
          .end(JSON.stringify({ error: `at most ${options.maxStreams} demo pages can be open at once: close one and reload` }));
        return;
      }
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // A reconnecting page gets what it missed, if the buffer still holds it; a new page starts now.
      const since = Number(req.headers['last-event-id']);
      const missed = Number.isSafeInteger(since) && since > 0 ? recent.filter((r) => r.id > since) : [];
      res.write(`retry: 1000\n\n${missed.map((r) => r.frame).join('')}`);
      clients.add(res);
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), options.heartbeatMs);
      heartbeat.unref();
      const drop = () => {
        clearInterval(heartbeat);
        clients.delete(res);
      };
      res.once('close', drop);
      res.once('error', drop);
    },
    close() {
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
