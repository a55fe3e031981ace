/**
 * The evaluation set of the question matcher (tests/fixtures/questions/eval.yaml) and how it is
 * scored, shared by tests/engine/questionEval.test.ts and `npm run eval:questions`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { matchQuestion } from '../src/engine/matchQuestion';
import type { QuestionIndex } from '../src/engine/questionIndex';

const evalFileSchema = z.strictObject({
  paraphrases: z.record(z.string(), z.array(z.string()).min(1)),
  off_topic: z.array(z.string()).min(1),
});

export interface EvalItem {
  readonly text: string;
  /** The question id it should answer, or null for an off-topic message. */
  readonly expect: string | null;
}

/** Reads and checks the set (tests/fixtures/questions/eval.yaml). */
export function loadEvalSet(file: string): EvalItem[] {
  const set = evalFileSchema.parse(parse(readFileSync(file, 'utf8')));
  return [
    ...Object.entries(set.paraphrases).flatMap(([id, texts]) => texts.map((text) => ({ text, expect: id }))),
    ...set.off_topic.map((text) => ({ text, expect: null })),
  ];
}

export interface EvalScore {
  /** Paraphrases answered at once with the expected question. */
  readonly accuracy: number;
  /** Off-topic messages not answered (fallback or "did you mean"). */
  readonly abstention: number;
  /** Share of all messages that got "did you mean". */
  readonly did_you_mean: number;
  /** Paraphrases whose "did you mean" offered the expected question. */
  readonly suggested_right: number;
  readonly paraphrases: number;
  readonly off_topic: number;
  /** Paraphrases answered with the wrong question, and off-topic ones answered: what to look at. */
  readonly misses: readonly { text: string; expect: string | null; got: string }[];
}

export function scoreEval(
  index: QuestionIndex,
  items: readonly EvalItem[],
  answer_threshold: number,
  suggest_threshold: number,
  suggestions = 3,
): EvalScore {
  let right = 0;
  let abstained = 0;
  let suggested = 0;
  let suggestedRight = 0;
  const misses: { text: string; expect: string | null; got: string }[] = [];
  const para = items.filter((i) => i.expect !== null);
  const off = items.filter((i) => i.expect === null);
  for (const item of items) {
    const outcome = matchQuestion(index, item.text, { answer_threshold, suggest_threshold, suggestions });
    if (outcome.kind === 'suggest') {
      suggested += 1;
      if (item.expect !== null && outcome.questions.some((q) => q.id === item.expect)) suggestedRight += 1;
    }
    if (item.expect === null) {
      if (outcome.kind !== 'answer') abstained += 1;
      else misses.push({ text: item.text, expect: null, got: outcome.question.id });
    } else if (outcome.kind === 'answer' && outcome.question.id === item.expect) right += 1;
    else
      misses.push({ text: item.text, expect: item.expect, got: outcome.kind === 'answer' ? outcome.question.id : outcome.kind });
  }
  const share = (n: number, of: number) => (of === 0 ? 0 : Math.round((n / of) * 1000) / 1000);
  return {
    accuracy: share(right, para.length),
    abstention: share(abstained, off.length),
    did_you_mean: share(suggested, items.length),
    suggested_right: share(suggestedRight, para.length),
    paraphrases: para.length,
    off_topic: off.length,
    misses,
  };
}
