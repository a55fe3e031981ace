import { ANY_POST, PUBLIC_REPLY_MAX, type CommentSpec } from '../engine/commentSchema';
import type { FlowNode } from '../engine/flowSchema';
import { normalize } from '../engine/normalize';
import { charCount } from '../platform/sendApiSchema';
import { fillDefaults, quote, regexError, regexRisk, type FlowScope, type Path } from './lintScope';

/**
 * Comment triggers (docs/flows.md, "Comments to Messenger"): keywords that can match, a public reply
 * that fits, and a node whose message can go as a private reply. Meta allows ONE message per comment,
 * and the commenter is nobody's user yet: the node must say exactly one message and do nothing else
 * (no question, no products, no request, no handover, no next, no branch), and its actions never run.
 * Whether the goto node exists is lintGraph's check, as for every trigger. Pure.
 */
export function lintComments(scope: FlowScope): void {
  const claimed = new Map<string, Path>();
  scope.flow.triggers.forEach((t, i) => {
    if (!('comment' in t)) return;
    const path: Path = ['triggers', i, 'comment'];
    keywords(scope, t.comment, path, claimed);
    publicReply(scope, t.comment, path);
    const nodeId = t.goto ?? scope.flow.start;
    const node = scope.flow.nodes[nodeId];
    if (node) privateReplyNode(scope, nodeId, node, ['triggers', i, ...(t.goto === undefined ? [] : ['goto'])]);
  });
}

function keywords(scope: FlowScope, spec: CommentSpec, path: Path, claimed: Map<string, Path>): void {
  const { report } = scope;
  if (spec.keywords.length === 0)
    return report.error(
      [...path, 'keywords'],
      'a comment trigger with no keywords never fires',
      'list the words a comment must contain, e.g. [price, "how much"]',
    );
  spec.keywords.forEach((k, j) => {
    const at: Path = [...path, 'keywords', j];
    if (spec.match === 'regex') {
      const problem = regexError(k, 'iu');
      if (problem)
        return report.error(
          at,
          `keyword pattern ${quote(k)} does not compile: ${problem}`,
          'write a valid JavaScript regular expression, or use match: contains',
        );
      const risk = regexRisk(k, 'iu');
      if (risk) report.error(at, `keyword pattern ${quote(k)} ${risk.problem}`, risk.fix);
    } else if (normalize(k) === '')
      return report.warn(
        at,
        `keyword ${quote(k)} never matches: nothing is left once punctuation and spaces are dropped`,
        'use a word',
      );
    const key = `${spec.post}|${spec.match}|${spec.match === 'regex' ? k : normalize(k)}`;
    const first = claimed.get(key);
    if (first)
      report.warn(
        at,
        `keyword ${quote(k)} is already in an earlier comment trigger of this flow for the same post; only the first fires`,
        'keep it in one trigger only',
      );
    else claimed.set(key, at);
  });
  if (spec.post !== ANY_POST && !/^\w[\w.:-]*$/.test(spec.post))
    report.error(
      [...path, 'post'],
      `post ${quote(spec.post)} is not a post id`,
      "use the post's id as Meta gives it (e.g. 123456789_987654321), or any",
    );
}

function publicReply(scope: FlowScope, spec: CommentSpec, path: Path): void {
  if (spec.reply === undefined) return;
  const text = fillDefaults(spec.reply, scope.settings).trim();
  if (text === '') scope.report.error([...path, 'reply'], 'the public reply is empty', 'write the reply, or remove reply:');
  else if (charCount(text) > PUBLIC_REPLY_MAX)
    scope.report.error(
      [...path, 'reply'],
      `the public reply has ${charCount(text)} characters; at most ${PUBLIC_REPLY_MAX}`,
      `shorten it to ${PUBLIC_REPLY_MAX} characters or fewer`,
    );
}

/** What a private reply's node may not have: each would be a second message or need a user the commenter is not yet. */
const NOT_IN_A_PRIVATE_REPLY: ReadonlyArray<[keyof FlowNode, string]> = [
  ['ask', 'a question (its text would be a second message, and the commenter cannot answer it yet)'],
  ['products', 'product cards (a second message)'],
  ['request', 'a request (its answer would need a second message)'],
  ['handover', 'a handover (there is no conversation to hand over yet)'],
  ['next', 'next (what follows would be a second message)'],
  ['branch', 'a branch (the commenter has no fields to branch on)'],
  ['randomize', 'randomize (the commenter is not a user yet)'],
];

function privateReplyNode(scope: FlowScope, id: string, node: FlowNode, triggerPath: Path): void {
  const { report } = scope;
  const at: Path = ['nodes', id];
  const messages = (node.say ?? []).filter((m) => !('typing' in m));
  if (messages.length !== 1)
    report.error(
      messages.length === 0 ? triggerPath : [...at, 'say'],
      `node ${quote(id)} is a comment trigger's private reply and says ${messages.length} messages; Meta allows exactly one per comment`,
      'give the node exactly one say message, with quick replies or buttons that lead into the flow',
    );
  for (const [key, what] of NOT_IN_A_PRIVATE_REPLY)
    if (node[key] !== undefined)
      report.error(
        [...at, key],
        `node ${quote(id)} is a comment trigger's private reply and has ${what}`,
        'move it to the node a quick reply or button of the message leads to',
      );
  if (node.actions !== undefined)
    report.warn(
      [...at, 'actions'],
      `node ${quote(id)}'s actions never run for a comment: the commenter is not a user until they answer`,
      'put them on the node the quick reply or button leads to',
    );
  const message = messages[0];
  const leads =
    message &&
    (('quick_replies' in message && (message.quick_replies?.length ?? 0) > 0) ||
      ('buttons' in message && (message.buttons?.length ?? 0) > 0) ||
      'cards' in message);
  if (message && !leads)
    report.warn(
      [...at, 'say'],
      `node ${quote(id)}'s private reply offers nothing to tap: the conversation goes on only once the person answers`,
      'add quick replies or buttons leading into the flow',
    );
}
