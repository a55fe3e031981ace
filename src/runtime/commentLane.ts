import {
  ANSWERED_MEMORY_MS,
  commentLaneStateSchema,
  initialCommentLaneState,
  onComment,
  type CommentLaneState,
  type CommentSeen,
} from '../engine/commentEvents';
import type { FlowSet } from '../engine/flowSet';
import { initialUserState, type UserState } from '../engine/userState';
import type { InboxItem } from '../store/ports';
import { feedCommentSchema } from '../store/feedComment';
import type { Handler, HandlerResult } from './handler';

/*
 * Comments to Messenger in the worker (docs/flows.md, "Comments to Messenger"). A comment arrives
 * in the lane of its author's feed id (`feed:<id>`, webhook/parseFeed.ts): Meta's docs do not say
 * that id is the person's PSID, and the person has no conversation with the Page yet, so their
 * comments get a lane (and a small state) of their own, in the same inbox and partitions as every
 * user: ordered and deduped like any event, applied once. The state remembers which comments were
 * answered (engine/commentEvents.ts); the effects answer them (runtime/commentDelivery.ts). When the
 * person answers the private reply, Meta sends an ordinary message event with their PSID: their own
 * lane starts there, and the quick reply's payload carries the flow and node.
 */

export type LaneState = UserState | CommentLaneState;

export const isCommentLane = (s: LaneState): s is CommentLaneState => 'commentLane' in s;

/** The comment an inbox item carries, or undefined for any other item (or one unreadable: dropped). */
function commentOf(item: InboxItem): CommentSeen | undefined {
  const { kind, raw } = item.record.event;
  if (kind !== 'comment') return undefined;
  const parsed = feedCommentSchema.safeParse(raw.comment);
  return parsed.success ? parsed.data : undefined;
}

/** The idle state's send facts: a comment lane never sends by id, but the store writes facts with every state. */
const NO_FACTS = initialUserState();

/**
 * The worker's handler with comment lanes beside the users' lanes: comment items go to the comment
 * engine, everything else to `inner` (the flow handler) unchanged. A comment lane is in no thread
 * list and no audience, and is forgotten 8 days after its last answered comment.
 */
export function withComments(inner: Handler<UserState>, flows: FlowSet): Handler<LaneState> {
  return {
    decode(data: unknown): LaneState {
      if (data !== null && typeof data === 'object' && 'commentLane' in data) return commentLaneStateSchema.parse(data);
      return inner.decode(data);
    },
    handle(state: LaneState, item: InboxItem, now: number): HandlerResult<LaneState> {
      const isComment = item.record.event.kind === 'comment';
      if (!isCommentLane(state) && !isComment) return inner.handle(state, item, now);
      const comment = commentOf(item);
      // Anything else in a comment lane (an admin command naming it, say) has nobody to act on.
      if (!comment) return { state, effects: [], keep: false };
      const lane = isCommentLane(state) ? state : initialCommentLaneState();
      const result = onComment(flows, lane, comment, now);
      if (!result.heard) return { state, effects: [], keep: false };
      return { state: result.state, effects: result.effects };
    },
    async prepare(state, item, now) {
      if (isCommentLane(state) || item.record.event.kind === 'comment' || !inner.prepare) return item;
      return inner.prepare(state, item, now);
    },
    // Each optional part only where the inner handler has it: its absence means something to the worker.
    ...(inner.threadMark && { threadMark: withThread(inner.threadMark) }),
    ...(inner.audienceCard && { audienceCard: withAudience(inner.audienceCard) }),
    ...(inner.sendFacts && { sendFacts: withFacts(inner.sendFacts) }),
    expireAt: (state, now) =>
      isCommentLane(state) ? (state.answered.at(-1)?.at ?? now) + ANSWERED_MEMORY_MS : inner.expireAt?.(state, now),
  };
}

type Part<K extends 'threadMark' | 'audienceCard' | 'sendFacts'> = NonNullable<Handler<UserState>[K]>;
const withThread = (f: Part<'threadMark'>) => (s: LaneState) => (isCommentLane(s) ? null : f(s));
const withAudience = (f: Part<'audienceCard'>) => (s: LaneState) => (isCommentLane(s) ? null : f(s));
const withFacts = (f: Part<'sendFacts'>) => (s: LaneState) => f(isCommentLane(s) ? NO_FACTS : s);
