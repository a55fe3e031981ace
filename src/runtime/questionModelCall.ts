import { z } from 'zod';
import type { EffectOf } from '../engine/effects';
import type { QuestionChoiceOutcome } from '../engine/engineEvent';
import type { QuestionIndex } from '../engine/questionIndex';
import { modelQuestions, type ModelQuestion } from '../engine/questionModel';
import type { OutboundRequest, RequestOutcome } from '../requests/outboundRequest';
import type { OutsideCall } from './outsideCall';

/** Where the language model is and how long the customer may wait for it (QUESTIONS_LLM_*). */
export interface QuestionModelSettings {
  /** An OpenAI-compatible chat completions URL, e.g. https://api.openai.com/v1/chat/completions. */
  readonly url: string;
  readonly model: string;
  /** Sent as a bearer token; held in memory only, never in the outbox, a log or an error. */
  readonly key?: string;
  readonly timeoutMs: number;
  /** The field that caps the reply (QUESTIONS_LLM_TOKEN_FIELD): newer OpenAI models refuse max_tokens. Default max_tokens. */
  readonly tokenField?: 'max_tokens' | 'max_completion_tokens';
}

/** The requester's name for these calls in logs and metrics. */
export const QUESTION_MODEL_CALL = 'questions/model';
/** An id is at most 64 characters: a few tokens more leave room for quotes, none for prose. */
const MAX_TOKENS = 32;

const SYSTEM = [
  "You sort a shop customer's message into one of the shop's known questions.",
  'Reply with the id of the one question the message asks, or none if it asks none of them or you are not sure.',
  'Reply with the id alone, no other words. Never answer the message yourself.',
  'Questions (id: one way customers ask it):',
].join('\n');

/** The chat completions request: the ids and one phrasing each as the system prompt, the customer's text as the user's. */
export function questionModelRequest(
  settings: QuestionModelSettings,
  effect: EffectOf<'classify_question'>,
  questions: readonly ModelQuestion[],
): OutboundRequest {
  const list = questions.map((q) => `${q.id}: ${q.phrasing.replace(/\s+/g, ' ')}`).join('\n');
  const body = {
    model: settings.model,
    temperature: 0,
    [settings.tokenField ?? 'max_tokens']: MAX_TOKENS,
    messages: [
      { role: 'system', content: `${SYSTEM}\n${list}` },
      { role: 'user', content: effect.text },
    ],
  };
  return {
    method: 'POST',
    url: settings.url,
    headers: settings.key === undefined ? {} : { authorization: `Bearer ${settings.key}` },
    body: JSON.stringify(body),
    timeoutMs: settings.timeoutMs,
    name: QUESTION_MODEL_CALL,
  };
}

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});
/** A JSON answer some models give despite the prompt: "returns", or {"id": "returns"}. */
const jsonChoiceSchema = z.union([z.string(), z.object({ id: z.string() }).transform((o) => o.id)]);
/** Longer than any id with quotes: prose, never read further. */
const MAX_CONTENT_CHARS = 200;

export interface ReadChoice {
  readonly outcome: QuestionChoiceOutcome;
  readonly question?: string;
}

/**
 * What the model chose: exactly one of the ids it was given (quotes, backticks, a final period and
 * case forgiven; a JSON string or {"id"} read too), or none. Anything else (prose, an id it was not
 * given, two ids) is invalid, and the customer gets the fallback: never an answer the model made up.
 */
export function readChoice(ids: readonly string[], outcome: RequestOutcome): ReadChoice {
  if (outcome.kind === 'timeout') return { outcome: 'timeout' };
  if (outcome.kind !== 'response' || outcome.status < 200 || outcome.status >= 300) return { outcome: 'failed' };
  const completion = completionSchema.safeParse(outcome.json);
  if (!completion.success) return { outcome: 'invalid' };
  const content = completion.data.choices[0]?.message.content.trim() ?? '';
  if (content.length > MAX_CONTENT_CHARS) return { outcome: 'invalid' };
  const said = bare(fromJson(content));
  if (said.toLowerCase() === 'none') return { outcome: 'none' };
  const question = ids.find((id) => id === said) ?? ids.find((id) => id.toLowerCase() === said.toLowerCase());
  return question === undefined ? { outcome: 'invalid' } : { outcome: 'chosen', question };
}

function fromJson(content: string): string {
  if (!content.startsWith('{') && !content.startsWith('"')) return content;
  try {
    const parsed = jsonChoiceSchema.safeParse(JSON.parse(content));
    return parsed.success ? parsed.data : content;
  } catch {
    return content;
  }
}

const bare = (text: string): string =>
  text
    .trim()
    .replace(/^[`'"]+/, '')
    .replace(/[`'".]+$/, '')
    .trim();

/**
 * The call for a `classify_question` entry, asking about the questions of `index`: the flows this
 * process holds now. After a deploy that is the new flows' questions, not those the text was read
 * with; the choice is checked against the ids sent, and the engine runs it only if its own flows
 * still have that question (else the fallback). Without settings (no model here) or questions (the
 * flows have none now) it fails at once, so the customer gets the fallback. `counted` learns each
 * outcome (metrics; never the text).
 */
export function questionModelCall(
  settings: QuestionModelSettings | undefined,
  index: QuestionIndex | undefined,
  effect: EffectOf<'classify_question'>,
  counted: (outcome: QuestionChoiceOutcome) => void = () => undefined,
): OutsideCall {
  const questions = settings && index ? modelQuestions(index, effect.text) : [];
  const ids = questions.map((q) => q.id);
  return {
    kind: 'question_choice',
    ...(settings && questions.length > 0 ? { request: questionModelRequest(settings, effect, questions) } : {}),
    result: (outcome) => {
      const choice: ReadChoice = outcome ? readChoice(ids, outcome) : { outcome: 'failed' };
      counted(choice.outcome);
      return { id: effect.id, ...choice };
    },
  };
}
