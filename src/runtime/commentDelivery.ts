import { PRIVATE_REPLY_WINDOW_MS } from '../engine/commentEvents';
import { classifyGraphError, GraphApiError } from '../messenger/graphErrors';
import { PRIVATE_REPLY_ERRORS } from '../platform/privateReplySchema';
import type { Delivery, SenderOptions, Step } from './senderOptions';

/*
 * The sender's side of Comments to Messenger (docs/flows.md, "Comments to Messenger"): a private
 * reply and a public reply, each one Graph call, from a comment lane's outbox (engine/commentEvents.ts).
 */

/** Meta's answers that end a private reply for good, as outcomes (counted in talkshop_deliveries_total). */
const FINAL: ReadonlyMap<number, string> = new Map([
  [PRIVATE_REPLY_ERRORS.alreadyReplied.code, 'already_replied'],
  [PRIVATE_REPLY_ERRORS.notReplyable.code, 'not_replyable'],
]);

/**
 * The private reply, unless the comment passed Meta's 7 days while it waited in the outbox. It takes
 * a token of the Page's Send API bucket (`grant`) like any reply. Any other failure goes by Meta's
 * error table (the caller's onDeliveryError): a retry cannot send twice, Meta refuses a second
 * private reply to one comment (10900), which ends it here as `already_replied`.
 */
export async function deliverPrivateReply(
  o: SenderOptions,
  entry: Delivery<'private_reply'>,
  grant: () => Promise<number>,
): Promise<Step> {
  const { effect } = entry;
  if (o.now() - effect.created > PRIVATE_REPLY_WINDOW_MS) return { type: 'done', outcome: 'too_old' };
  const waited = await grant();
  if (waited !== 0) return { type: 'retry', ms: waited, why: 'rate_limit' };
  try {
    await o.graph.privateReply({ recipient: effect.to, messaging_type: 'RESPONSE', message: effect.message });
  } catch (err) {
    const final = err instanceof GraphApiError && err.graphCode !== undefined ? FINAL.get(err.graphCode) : undefined;
    if (final === undefined) throw err;
    o.logger.info({ entryId: entry.id, reply: effect.name, outcome: final }, 'private reply refused by Meta');
    return { type: 'done', outcome: final };
  }
  return { type: 'done', outcome: 'sent' };
}

/**
 * The public reply under the comment. Nothing dedupes a comment on Meta's side, so it is tried
 * again only when it surely did not reach Meta (refused before sending, or a rate limit); after a
 * timeout or a server error it may have been posted, and a second one would show twice: `uncertain`.
 */
export async function deliverCommentReply(o: SenderOptions, entry: Delivery<'comment_reply'>): Promise<Step> {
  try {
    await o.graph.commentReply(entry.effect.id, entry.effect.text);
    return { type: 'done', outcome: 'sent' };
  } catch (err) {
    const notSent = err instanceof GraphApiError && !err.sent;
    if (notSent || classifyGraphError(err) === 'rate_limited') throw err;
    const unsure = err instanceof GraphApiError && (err.transport !== undefined || err.httpStatus >= 500);
    if (!unsure) throw err;
    o.logger.warn({ entryId: entry.id, err }, 'public reply may or may not have been posted; not tried again');
    return { type: 'done', outcome: 'uncertain' };
  }
}
