import type { QuestionEntry, QuestionIndex, QuestionMatch } from './questionIndex';
import type { QuestionSettings } from './questionSchema';

/** What typed text comes to once matched against the flows' questions. */
export type QuestionOutcome =
  | { readonly kind: 'answer'; readonly question: QuestionEntry; readonly confidence: number }
  | { readonly kind: 'suggest'; readonly questions: readonly QuestionEntry[]; readonly confidence: number }
  | { readonly kind: 'none'; readonly confidence: number };

/**
 * Answer when the best question is at or above answer_threshold; offer the best few ("Did you
 * mean…") from suggest_threshold up; otherwise none (the fallback). The suggestions are the best
 * question and those others that clear suggest_threshold too.
 */
export function matchQuestion(
  index: QuestionIndex,
  text: string,
  settings: Pick<QuestionSettings, 'answer_threshold' | 'suggest_threshold' | 'suggestions'>,
): QuestionOutcome {
  const matches: QuestionMatch[] = index.match(text, settings.suggestions);
  const best = matches[0];
  if (!best || best.confidence < settings.suggest_threshold) return { kind: 'none', confidence: best?.confidence ?? 0 };
  if (best.confidence >= settings.answer_threshold)
    return { kind: 'answer', question: best.question, confidence: best.confidence };
  const questions = matches.filter((m, i) => i === 0 || m.confidence >= settings.suggest_threshold).map((m) => m.question);
  return { kind: 'suggest', questions, confidence: best.confidence };
}
