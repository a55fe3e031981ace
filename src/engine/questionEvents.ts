import { matchQuestion } from './matchQuestion';
import type { Said } from './normalize';
import type { QuestionEntry } from './questionIndex';
import { enterNode, fillText, send, type Run } from './run';

/**
 * Typed text matched against the flows' questions (docs/flows.md, "Answering typed questions"):
 * answered, offered as "Did you mean…" quick replies, or left to the fallback. The quick replies
 * carry `TS|_|_|question|<id>`, in the engine's own payload namespace, so a tap runs the answer.
 */
const QUESTION_PREFIX = 'TS|_|_|question|';
export const questionPayload = (id: string): string => `${QUESTION_PREFIX}${id}`;

/** What the runtime counts (unmatched effect): the normalized text, cut to this many characters. */
export const UNMATCHED_TEXT_CHARS = 200;

/**
 * True when the text was answered or suggestions were offered. `answerOnly`: a first contact, where
 * only a sure answer beats the default flow's welcome.
 */
export function onQuestion(run: Run, s: Said, answerOnly: boolean): boolean {
  const outcome = matchQuestion(run.flows.questions, s.norm, run.flows.settings.questions);
  if (outcome.kind === 'answer') return answerWith(run, outcome.question);
  if (outcome.kind === 'none' || answerOnly) return false;
  const { did_you_mean } = run.flows.settings.questions;
  const quick_replies = outcome.questions.map((q) => ({
    content_type: 'text' as const,
    title: q.title,
    payload: questionPayload(q.id),
  }));
  send(run, { text: fillText(run, did_you_mean), quick_replies });
  unmatched(run, s, 'suggested');
  return true;
}

/** A "Did you mean…" quick reply: runs that question's answer. False for any other payload, or a question gone since. */
export function onQuestionTap(run: Run, payload: string): boolean {
  if (!payload.startsWith(QUESTION_PREFIX)) return false;
  const question = run.flows.questions.questions.get(payload.slice(QUESTION_PREFIX.length));
  return question !== undefined && answerWith(run, question);
}

/** Runs the question's answer (its node); false when that node is gone. */
export function answerWith(run: Run, question: QuestionEntry): boolean {
  const { flow, node } = question.target;
  if (!run.flows.flows.get(flow)?.flow.nodes[node]) return false; // the linter refuses such a goto
  run.state.misses = 0;
  run.state.pending = null;
  enterNode(run, flow, node);
  return true;
}

/** Tells the runtime a text was not understood (counted per normalized text, never with who sent it). */
export function unmatched(run: Run, s: Said, outcome: 'fallback' | 'suggested'): void {
  const text = Array.from(s.norm).slice(0, UNMATCHED_TEXT_CHARS).join('');
  if (text !== '') run.effects.push({ type: 'unmatched', text, outcome });
}
