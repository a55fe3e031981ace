import { disclosureText } from './disclosureSettings';
import type { EngineEvent } from './engineEvent';
import { normalize, type Said } from './normalize';
import { MAX_QUERY_CHARS, type QuestionIndex } from './questionIndex';
import { answerWith, UNMATCHED_TEXT_CHARS } from './questionEvents';
import { callId, fillText, type Run } from './run';

/**
 * The optional language model (docs/flows.md, "A language model, boxed in"). Typed text that the
 * local search could not place (below suggest_threshold: "Did you mean…" already lets the customer
 * choose) is shown to the model with the questions' ids, and the model may only choose one of
 * them, or none. It never writes an answer: a choice runs the question's own node, anything else
 * is the fallback, as without a model.
 *
 * The engine stays pure: it emits `classify_question` and waits (the customer sees typing); the
 * choice comes back as a `question_choice` event in the user's own lane. Any action of the
 * customer's meanwhile replaces the wait, so a late or duplicate choice changes nothing.
 */

export type QuestionChoice = Extract<EngineEvent, { type: 'question_choice' }>;

/** Most questions put before the model (the prompt's size); the local search's best come first. */
export const MAX_MODEL_QUESTIONS = 100;
/** A phrasing as the prompt shows it. */
export const MAX_MODEL_PHRASING_CHARS = 120;

/** A question as the model sees it: its id and one way customers ask it. */
export interface ModelQuestion {
  readonly id: string;
  readonly phrasing: string;
}

const cut = (text: string, chars: number): string => Array.from(text).slice(0, chars).join('');

/**
 * The questions put before the model for `text`, from the flows' own index: the local search's
 * faint matches first (they may still be right), then the rest in file order, at most
 * MAX_MODEL_QUESTIONS. Pure, so the runtime builds the prompt from the flows it holds and the
 * outbox entry carries only the text (a list of 100 phrasings made each entry about 11 KB).
 */
export function modelQuestions(index: QuestionIndex, text: string): ModelQuestion[] {
  const ranked = index.match(normalize(text), MAX_MODEL_QUESTIONS).map((m) => m.question);
  const seen = new Set(ranked.map((q) => q.id));
  const all = [...ranked, ...[...index.questions.values()].filter((q) => !seen.has(q.id))].slice(0, MAX_MODEL_QUESTIONS);
  return all.map((q) => ({ id: q.id, phrasing: cut(q.phrasings[0] ?? q.title, MAX_MODEL_PHRASING_CHARS) }));
}

/**
 * Asks the model about `s` when one is configured and the flows have questions: true when the
 * question went out (the customer waits for its choice), false to fall back at once.
 */
export function askQuestionModel(run: Run, s: Said): boolean {
  if (run.flows.questionModel !== true || run.flows.questions.questions.size === 0 || s.norm.trim() === '') return false;
  const id = callId(run, 'qm');
  run.state.questionCall = {
    id,
    text: cut(s.norm, UNMATCHED_TEXT_CHARS),
    // Nothing was sent for this event, so the disclosure it armed goes with the answer instead.
    disclose: run.disclosure !== undefined,
  };
  run.effects.push({ type: 'typing', ms: 0, request: id });
  run.effects.push({ type: 'classify_question', id, text: cut(s.raw, MAX_QUERY_CHARS) });
  return true;
}

/**
 * The model's choice: applied only while this text still waits for it. A known question runs its
 * answer; none, anything invalid, a failure or a timeout is the fallback (counted as unmatched).
 */
export function onQuestionChoice(run: Run, event: QuestionChoice, fallback: () => void): void {
  const call = run.state.questionCall;
  if (!call || call.id !== event.id || run.state.thread !== 'bot') return;
  run.state.questionCall = null;
  if (call.disclose) {
    const settings = run.flows.settings.disclosure;
    run.disclosure = fillText(run, disclosureText(settings, run.state.profile?.locale));
  }
  const question = event.outcome === 'chosen' && event.question ? run.flows.questions.questions.get(event.question) : undefined;
  if (question && answerWith(run, question)) return;
  if (call.text !== '') run.effects.push({ type: 'unmatched', text: call.text, outcome: 'fallback' });
  fallback();
}
