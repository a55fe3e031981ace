import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { FakeCommentControls } from '../emulator/fakeComments';
import type { FakeCall } from '../emulator/fakeGraphApi';
import { chars } from '../platform/sendApiSchema';
import { readJsonBody, type DemoReply } from './demoWebBody';
import { demoCustomerId } from './demoWebEvents';
import type { DemoStreamEvent } from './demoWebStream';
import { commentBody, newCommentId } from './sendEvent';

/**
 * The demo page's comment box (POST /demo/api/comments): a simulated customer comments under the
 * Page's post, and the demo posts the Page `feed` webhook Meta would send for it, signed, to its own
 * webhook (docs/flows.md, "Comments to Messenger"). The commenter's feed id is `fb-<PSID>`, as
 * `send-event --comment` makes it: the service never takes it for a PSID. Only Meta knows that the
 * commenter and the customer are one person, so the demo tells the fake Graph API (its `comments`),
 * which then answers the private reply with the customer's PSID: the reply opens the customer's
 * thread. The Page's public reply under the comment comes back on the stream for the same customer.
 */

/** Meta's limit on a comment's text. */
export const COMMENT_TEXT_MAX = 8_000;
/** 8,000 characters of up to 4 bytes each as UTF-8, JSON-escaped at worst 6 bytes for a few, and the customer: 40 KB. */
export const DEMO_COMMENT_BODY_LIMIT = 40 * 1024;
/** Comment ids remembered for the public replies' customer (a demo page makes a few dozen). */
const REMEMBERED = 10_000;

/** The demo Page's one post, which the page shows (a flow's `post: any` trigger hears it; a post id one names too). */
export const demoPostId = (pageId: string): string => `${pageId}_1`;

export const demoCommentSchema = z.strictObject({
  customer: demoCustomerId,
  text: chars(COMMENT_TEXT_MAX).describe("the comment's text"),
});
export type DemoComment = z.infer<typeof demoCommentSchema>;

export interface DemoCommentsOptions {
  readonly pageId: string;
  /** The demo's business clock: Meta stamps a comment when it is written. */
  readonly now: () => number;
  /** The fake Graph API's comments: told who wrote each one. */
  readonly fakeComments: Pick<FakeCommentControls, 'add'> | undefined;
  publish(event: DemoStreamEvent): void;
  /** Whether the service's webhook listens yet. */
  ready(): boolean;
  /** Signs `body` and posts it to the service's webhook: its status and answer. */
  deliver(body: string): Promise<{ status: number; text: string }>;
}

export interface DemoComments {
  /** Answers POST /demo/api/comments. */
  post(req: IncomingMessage): Promise<DemoReply>;
  /** Each call the fake Graph API took: a public reply under a customer's comment goes to the stream. */
  onCall(call: FakeCall): void;
}

export function createDemoComments(o: DemoCommentsOptions): DemoComments {
  /** comment id → customer (oldest dropped first). */
  const commenters = new Map<string, string>();
  const remember = (id: string, customer: string) => {
    commenters.set(id, customer);
    if (commenters.size > REMEMBERED) commenters.delete(commenters.keys().next().value ?? id);
  };

  return {
    async post(req) {
      const read = await readJsonBody(req, DEMO_COMMENT_BODY_LIMIT, 'comment');
      if (!read.ok) return read.reply;
      const parsed = demoCommentSchema.safeParse(read.value);
      if (!parsed.success)
        return {
          status: 400,
          body: {
            error: `not a comment: {customer, text} (text: 1 to ${COMMENT_TEXT_MAX} characters)`,
            problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
          },
        };
      if (!o.ready()) return { status: 503, body: { error: 'the demo is still starting: try again' } };
      const { customer, text } = parsed.data;
      const now = o.now();
      const post = demoPostId(o.pageId);
      const id = newCommentId(post);
      const body = commentBody(o.pageId, customer, post, text, now, id);
      // Before the webhook: the fake must know the commenter when the bot's private reply reaches it.
      o.fakeComments?.add({ id, post, from: `fb-${customer}`, psid: customer, created: now, item: 'comment', text });
      remember(id, customer);
      // On Meta the comment is on the post at once, whatever becomes of the webhook; and so the
      // stream carries it before any public reply under it.
      o.publish({ kind: 'comment', customer, at: now, post, id, text });
      const answer = await o.deliver(body);
      if (answer.status !== 200)
        return { status: 502, body: { error: `the webhook answered ${answer.status}`, webhook: answer.text.slice(0, 500) } };
      return { status: 202, body: { accepted: true, post, comment: id } };
    },
    onCall(call) {
      if (call.endpoint !== 'comment_reply' || call.status !== 200) return;
      // POST /<version>/<comment id>/comments
      const comment = call.path.split('/').at(-2) ?? '';
      const customer = commenters.get(comment);
      const text = (call.body as { message?: unknown } | undefined)?.message;
      if (customer !== undefined && typeof text === 'string')
        o.publish({ kind: 'comment_reply', customer, at: call.at, comment, text });
    },
  };
}
