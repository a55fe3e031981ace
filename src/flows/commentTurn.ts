import { onComment, type CommentEffect, type CommentSeen } from '../engine/commentEvents';
import { spoken, type DiffLine, type Sim, type TurnOutput } from './conversationSim';
import { DEFAULT_TEST_POST, type ExpectedPublicReply, type FlowTestTurn } from './flowTestSchema';

/*
 * A conversation test's `comment:` turn (docs/flows.md, "Testing conversations"): the comment goes
 * through the comment lane's own engine function (engine/commentEvents.ts onComment), with the
 * lane's state kept for the whole test, so redeliveries, the 7-day rule and the daily cap behave
 * as in production. The private reply lands among the bot's messages, so the next `tap` picks its
 * quick replies and continues in the customer's own lane, as Meta's message event would.
 */

type CommentAction = NonNullable<FlowTestTurn['comment']>;
type Skip = Extract<CommentEffect, { type: 'comment_skipped' }>['reason'];

/** Why a comment got no private reply, as a test's failure says it. */
const WHY: Readonly<Record<Skip | 'own' | 'unheard', string>> = {
  own: "the Page's own comment (the webhook ignores it)",
  unheard: 'no comment trigger hears it',
  too_old: 'older than 7 days',
  capped: "the person's private replies for the day are used up (comments.private_replies_per_day)",
  already_answered: 'this comment was answered before',
};

const fullOf = (c: CommentAction) => (typeof c === 'string' ? { text: c } : c);

/** The comment as the webhook would read it (webhook/parseFeed.ts): a visitor post is its own post. */
function seen(sim: Sim, c: CommentAction): CommentSeen {
  const full = fullOf(c);
  const created = sim.now - (full.age ?? 0);
  if (full.visitor_post) {
    const id = full.id ?? full.post ?? `test_visitor_post_${sim.now}`;
    return { item: 'post', id, post: id, text: full.text, created };
  }
  return {
    item: 'comment',
    id: full.id ?? `test_comment_${sim.now}`,
    post: full.post ?? DEFAULT_TEST_POST,
    text: full.text,
    created,
  };
}

/** Plays the comment: the lane's answer goes to `out` (the private reply as a bot message). */
export function playComment(sim: Sim, c: CommentAction, out: TurnOutput): void {
  sim.now += 1000; // actions a second apart
  // The webhook drops the Page's own comments before any lane sees them (parseFeed.ts, feed_own).
  if (fullOf(c).by_page) return void out.ignored.push(WHY.own);
  const result = onComment(sim.flows, sim.commentLane, seen(sim, c), sim.now);
  sim.commentLane = result.state;
  if (!result.heard) out.ignored.push(WHY.unheard);
  for (const e of result.effects) {
    if (e.type === 'private_reply') {
      out.sends.push(e.message);
      out.entered.push([e.name]);
    } else if (e.type === 'comment_reply') out.publicReplies.push(e.text);
    else out.ignored.push(WHY[e.reason]);
  }
}

/** The comment turn's action in words. */
export function describeComment(c: CommentAction): string {
  const full = fullOf(c);
  const what = full.visitor_post ? `posts ${JSON.stringify(full.text)} on the Page` : `comments ${JSON.stringify(full.text)}`;
  const where = full.post !== undefined && !full.visitor_post ? ` under post ${full.post}` : '';
  const details = [
    full.id === undefined ? '' : `id ${full.id}`,
    full.age === undefined ? '' : `written ${spoken(full.age)} ago`,
  ].filter((d) => d !== '');
  return `${full.by_page ? 'the Page' : 'someone'} ${what}${where}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

const replyMatches = (want: ExpectedPublicReply, got: string): boolean =>
  typeof want === 'string' ? got === want : got.includes(want.contains);

const describeWanted = (want: ExpectedPublicReply): string =>
  typeof want === 'string' ? JSON.stringify(want) : `containing ${JSON.stringify(want.contains)}`;

/**
 * A comment turn's own checks: the public reply (none unless the test names one, as `bot:` lists
 * every message) and, when the test expected a private reply that did not come, why.
 */
export function checkComment(t: FlowTestTurn, out: TurnOutput, problems: string[], diff: DiffLine[]): void {
  if (t.comment === undefined) return;
  const got = out.publicReplies[0];
  const want = t.public_reply;
  const line = (r: string) => `public reply: ${JSON.stringify(r)}`;
  if (want !== undefined && got !== undefined && replyMatches(want, got)) diff.push({ sign: ' ', text: line(got) });
  else if (want !== undefined) {
    diff.push(
      { sign: '-', text: `public reply: ${describeWanted(want)}` },
      { sign: '+', text: got ? line(got) : '(no public reply)' },
    );
    problems.push(got === undefined ? 'no public reply came' : 'the public reply differs');
  } else if (got !== undefined) {
    diff.push({ sign: '+', text: line(got) });
    problems.push('the Page also replied in public: add public_reply: to the turn');
  }
  const why = out.ignored.join('; ');
  if (out.sends.length === 0 && why !== '') {
    diff.push({ sign: ' ', text: `(no private reply: ${why})` });
    if (t.bot !== undefined) problems.push(`the comment got no private reply: ${why}`);
  }
}
