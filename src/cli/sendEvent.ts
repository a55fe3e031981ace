import { randomUUID } from 'node:crypto';
import { signBody } from '../webhook/verifySignature';

export interface SendEventOptions {
  readonly url: string;
  readonly appSecret: string;
  readonly pageId: string;
  readonly userId: string;
  readonly text: string;
  readonly now: number;
  /** Send the text as a comment under this post (a Page feed webhook) instead of a Messenger message. */
  readonly commentOnPost?: string;
}

/**
 * A Page feed webhook for a comment under `postId`, as Meta posts it (docs/messenger-platform.md
 * §4.3b; tests/fixtures/webhooks/feed-comments.json). The commenter's feed id is `fb-<user>`: not
 * their PSID, which Meta's docs do not promise to be the same.
 */
export function commentBody(
  pageId: string,
  userId: string,
  postId: string,
  text: string,
  now: number,
  commentId = newCommentId(postId),
): string {
  const value = {
    from: { id: `fb-${userId}`, name: userId },
    message: text,
    post_id: postId,
    comment_id: commentId,
    parent_id: postId,
    created_time: Math.floor(now / 1000),
    item: 'comment',
    verb: 'add',
  };
  return JSON.stringify({ object: 'page', entry: [{ id: pageId, time: now, changes: [{ field: 'feed', value }] }] });
}

/** A new comment's id as Meta shapes them: `<post's own id>_<digits>`. */
export const newCommentId = (postId: string): string =>
  `${postId.split('_').at(-1) ?? postId}_${randomUUID().replace(/\D/g, '').slice(0, 12)}`;

/** Builds a Messenger text-message webhook body, as Meta would POST it. */
export function textMessageBody(pageId: string, userId: string, text: string, now: number, mid = `m_${randomUUID()}`): string {
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: now,
        messaging: [{ sender: { id: userId }, recipient: { id: pageId }, timestamp: now, message: { mid, text } }],
      },
    ],
  });
}

/** Signs and POSTs one text message (or comment) to a running Talkshop; returns the HTTP status and body. */
export async function sendEvent(o: SendEventOptions): Promise<{ status: number; body: string }> {
  const body =
    o.commentOnPost === undefined
      ? textMessageBody(o.pageId, o.userId, o.text, o.now)
      : commentBody(o.pageId, o.userId, o.commentOnPost, o.text, o.now);
  const res = await fetch(o.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, o.appSecret) },
    body,
  });
  return { status: res.status, body: await res.text() };
}
