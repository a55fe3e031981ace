import { z } from 'zod';
import { DAY_MS } from '../platform/messagingRules';
import { charCount, clip, LIMITS } from '../platform/sendApiSchema';
import { ANY_POST, PUBLIC_REPLY_MAX, type CommentSpec } from './commentSchema';
import type { commentEffectSchemas } from './commentEffects';
import { disclosureText } from './disclosureSettings';
import type { FlowSet } from './flowSet';
import { interpolate } from './interpolate';
import { matchesKeyword, said } from './normalize';
import { renderMessage } from './render';

/*
 * The comment lane's engine (docs/flows.md, "Comments to Messenger"): pure, (flows, state, comment,
 * now) → (state, effects), like transition() for a user's lane. A comment lane is keyed by the
 * commenter's feed id, not a PSID: it never messages anyone by id, only answers a comment by a
 * private reply (Meta's rules, docs/messenger-platform.md §4.3b) and, optionally, in public.
 */

/** Meta allows a private reply within 7 days of the comment or post. */
export const PRIVATE_REPLY_WINDOW_MS = 7 * DAY_MS;

/**
 * How long a lane remembers a comment it answered: past Meta's 7 days (after which no reply is
 * possible anyway), so a redelivery the inbox's dedupe window no longer recognises is still one.
 */
export const ANSWERED_MEMORY_MS = 8 * DAY_MS;

/** Most comments one lane remembers (a person commenting hundreds of times a week keeps the newest). */
export const ANSWERED_MAX = 200;

/** A comment or visitor post, as the runtime reads it from the inbox (webhook/parseFeed.ts FeedComment). */
export interface CommentSeen {
  readonly item: 'comment' | 'post';
  readonly id: string;
  readonly post: string;
  readonly text: string;
  /** ms */
  readonly created: number;
}

const answeredSchema = z.object({ id: z.string(), at: z.number(), private: z.boolean() });

/** A commenter's lane: the comments it answered (private reply, public reply or both), oldest first. */
export const commentLaneStateSchema = z.object({
  commentLane: z.literal(1),
  answered: z.array(answeredSchema),
});
export type CommentLaneState = z.infer<typeof commentLaneStateSchema>;

export const initialCommentLaneState = (): CommentLaneState => ({ commentLane: 1, answered: [] });

export type CommentEffect = z.infer<(typeof commentEffectSchemas)[number]>;

export interface CommentResult {
  readonly state: CommentLaneState;
  readonly effects: readonly CommentEffect[];
  /** false: no trigger heard it; nothing to remember or count (most comments on a busy Page). */
  readonly heard: boolean;
}

interface Matched {
  readonly flow: string;
  readonly node: string;
  readonly spec: CommentSpec;
}

function matches(spec: CommentSpec, comment: CommentSeen): boolean {
  // A visitor's own post belongs to no post of the Page's: only `post: any` hears it.
  if (spec.post !== ANY_POST && (comment.item === 'post' || spec.post !== comment.post)) return false;
  const s = said(comment.text);
  return spec.keywords.some((k) => matchesKeyword(s, k, spec.match));
}

/** The first comment trigger that hears the comment: flows in load order, triggers in file order. */
export function commentTriggerFor(flows: FlowSet, comment: CommentSeen): Matched | undefined {
  for (const { flow } of flows.flows.values()) {
    for (const t of flow.triggers) {
      if ('comment' in t && matches(t.comment, comment)) return { flow: flow.id, node: t.goto ?? flow.start, spec: t.comment };
    }
  }
  return undefined;
}

/**
 * The node's first message, as the private reply (the linter holds the node to one message). The
 * person has no fields yet (they are not a known user), so only the settings' defaults fill it;
 * the disclosure, when the settings ask for one, opens it if it fits (the person's first message).
 */
function privateMessage(flows: FlowSet, m: Matched) {
  const node = flows.flows.get(m.flow)?.flow.nodes[m.node];
  const index = node?.say?.findIndex((spec) => !('typing' in spec)) ?? -1;
  const spec = index >= 0 ? node?.say?.[index] : undefined;
  if (!spec) return null;
  const ctx = { flow: m.flow, node: m.node, fields: {}, defaults: flows.settings.defaults };
  const message = renderMessage(ctx, spec, index);
  const disclosure = flows.settings.disclosure;
  if (!message || !disclosure.enabled || !('text' in message)) return message;
  const text = `${disclosureText(disclosure, undefined)}\n\n${message.text}`;
  return charCount(text) <= LIMITS.text ? { ...message, text } : message;
}

const skipped = (
  state: CommentLaneState,
  reason: Extract<CommentEffect, { type: 'comment_skipped' }>['reason'],
): CommentResult => ({ state, effects: [{ type: 'comment_skipped', reason }], heard: true });

/**
 * A comment reached its author's lane. One answer per comment, ever (the lane remembers it past
 * Meta's 7 days); a private reply only within 7 days of the comment and while the person got fewer
 * than `comments.private_replies_per_day` in the last 24 hours; the public reply, when the trigger
 * has one, once per comment whatever the cap says (it is not a message to the person).
 */
export function onComment(flows: FlowSet, prior: CommentLaneState, comment: CommentSeen, now: number): CommentResult {
  const recent = prior.answered.filter((a) => now - a.at < ANSWERED_MEMORY_MS);
  if (recent.some((a) => a.id === comment.id)) return skipped(prior, 'already_answered');
  const matched = commentTriggerFor(flows, comment);
  if (!matched) return { state: prior, effects: [], heard: false };
  if (now - comment.created > PRIVATE_REPLY_WINDOW_MS) return skipped(prior, 'too_old');
  const effects: CommentEffect[] = [];
  const today = recent.filter((a) => a.private && now - a.at < DAY_MS).length;
  const capped = today >= flows.settings.comments.private_replies_per_day;
  const message = capped ? null : privateMessage(flows, matched);
  if (capped) effects.push({ type: 'comment_skipped', reason: 'capped' });
  else if (message)
    effects.push({
      type: 'private_reply',
      to: comment.item === 'comment' ? { comment_id: comment.id } : { post_id: comment.id },
      message,
      created: comment.created,
      name: `${matched.flow}/${matched.node}`,
    });
  const reply = matched.spec.reply;
  if (reply !== undefined) {
    const text = clip(interpolate(reply, {}, flows.settings.defaults).trim(), PUBLIC_REPLY_MAX);
    if (text !== '') effects.push({ type: 'comment_reply', id: comment.id, text });
  }
  const answered = [...recent, { id: comment.id, at: now, private: message !== null }].slice(-ANSWERED_MAX);
  return { state: { commentLane: 1, answered }, effects, heard: true };
}
