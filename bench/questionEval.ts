/**
 * `npm run eval:questions`: the question matcher alone (flows/faq.yaml's questions, no keyword
 * triggers) on the evaluation set tests/fixtures/questions/eval.yaml, with the thresholds of
 * flows/settings.yaml. Prints one JSON line: top-1 accuracy on the paraphrases ("did you mean" is
 * not top-1), how many off-topic messages abstained, how often "did you mean" was used, and the
 * threshold curve: accuracy and abstention for answer thresholds 0.2 to 0.9 (suggest threshold
 * unchanged). QUESTION_EVAL_MISSES=1 adds the misses, to see what to improve.
 */
import { join } from 'node:path';
import { loadFlows } from '../src/flows/loadFlows';
import { loadEvalSet, scoreEval } from './questionEvalSet';

const dir = process.env.FLOWS_DIR ?? join(__dirname, '..', '..', 'flows');
const loaded = loadFlows(dir);
if (!loaded.ok) {
  process.stderr.write(`[eval:questions] ${dir} does not load: ${JSON.stringify(loaded.problems)}\n`);
  process.exit(2);
}
const { flowSet } = loaded;
const { answer_threshold, suggest_threshold, suggestions } = flowSet.settings.questions;
// Run from dist/bench: the set is read from the source tree.
const items = loadEvalSet(join(__dirname, '..', '..', 'tests', 'fixtures', 'questions', 'eval.yaml'));
const shipped = scoreEval(flowSet.questions, items, answer_threshold, suggest_threshold, suggestions);
const curve = Array.from({ length: 15 }, (_, i) => Math.round((0.2 + i * 0.05) * 100) / 100).map((t) => {
  const s = scoreEval(flowSet.questions, items, t, Math.min(t, suggest_threshold), suggestions);
  return { answer_threshold: t, accuracy: s.accuracy, abstention: s.abstention, did_you_mean: s.did_you_mean };
});
const { misses, ...figures } = shipped;
process.stdout.write(
  `${JSON.stringify({
    bench: 'eval:questions',
    questions: flowSet.questions.questions.size,
    answer_threshold,
    suggest_threshold,
    ...figures,
    goals_met: figures.accuracy >= 0.85 && figures.abstention >= 0.9,
    curve,
    ...(process.env.QUESTION_EVAL_MISSES ? { misses } : {}),
  })}\n`,
);
