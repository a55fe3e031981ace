import { join } from 'node:path';
import { loadFlows } from '../../src/flows/loadFlows';
import { normalize } from '../../src/engine/normalize';
import { loadEvalSet, scoreEval } from '../../bench/questionEvalSet';

/**
 * Acceptance (issue #19): the local matcher alone, with the thresholds flows/settings.yaml ships,
 * on tests/fixtures/questions/eval.yaml: top-1 accuracy ≥ 85% on the paraphrases ("did you mean"
 * is not top-1) and ≥ 90% of the off-topic messages abstaining (fallback or "did you mean").
 */
const loaded = loadFlows(join(__dirname, '..', '..', 'flows'));
if (!loaded.ok) throw new Error(`flows/ does not load: ${JSON.stringify(loaded.problems)}`);
const { flowSet } = loaded;
const items = loadEvalSet(join(__dirname, '..', 'fixtures', 'questions', 'eval.yaml'));

describe('the question matcher on the evaluation set', () => {
  it('holds at least 150 paraphrases of the demo questions and 50 off-topic messages, labelled with known ids', () => {
    const ids = new Set(flowSet.questions.questions.keys());
    expect(items.filter((i) => i.expect !== null).length).toBeGreaterThanOrEqual(150);
    expect(items.filter((i) => i.expect === null).length).toBeGreaterThanOrEqual(50);
    expect(items.filter((i) => i.expect !== null && !ids.has(i.expect))).toEqual([]);
  });

  it('is kept apart from the phrasings: no text of the set is a phrasing once normalized', () => {
    const phrasings = new Set([...flowSet.questions.questions.values()].flatMap((q) => q.phrasings.map(normalize)));
    expect(items.filter((i) => phrasings.has(normalize(i.text)))).toEqual([]);
  });

  it('answers ≥ 85% of the paraphrases right at once and abstains on ≥ 90% of the off-topic messages', () => {
    const { answer_threshold, suggest_threshold, suggestions } = flowSet.settings.questions;
    const score = scoreEval(flowSet.questions, items, answer_threshold, suggest_threshold, suggestions);
    const { misses, ...figures } = score;
    process.stdout.write(`question eval: ${JSON.stringify({ answer_threshold, suggest_threshold, ...figures })}\n`);
    expect({ accuracy: score.accuracy >= 0.85, abstention: score.abstention >= 0.9, misses }).toMatchObject({
      accuracy: true,
      abstention: true,
    });
  });
});
