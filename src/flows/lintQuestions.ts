import type { LoadedFlow } from '../engine/flowSet';
import type { Settings } from '../engine/flowSchema';
import { matchesKeyword, said } from '../engine/normalize';
import { buildQuestionIndex } from '../engine/questionIndex';
import { questionTarget, type Phrasing } from '../engine/questionSchema';
import { quote, reporter, where, type Path, type Reporter } from './lintScope';
import type { Locate, Problem } from './problem';

interface Claimant {
  readonly label: string;
  /** "<flow>:<node>" it starts, or undefined for a global keyword (it never runs the question). */
  readonly target?: string;
  matches(text: string): boolean;
}

const textOf = (p: Phrasing): string => (typeof p === 'string' ? p : p.text);

/**
 * Flows' `questions` (docs/flows.md, "Answering typed questions"): each goto names a node that
 * exists, ids are unique across flows, and no phrasing is lost — to a global keyword or a keyword
 * trigger that claims it first (the matcher never sees that text), or to another question that it
 * matches as well as its own (the same words once normalized) or better. Pure.
 */
export function lintQuestions(flows: readonly LoadedFlow[], settings: Settings, locate: Locate, out: Problem[]): void {
  const index = buildQuestionIndex(flows.map((f) => f.flow));
  const claimants = keywordClaimants(flows, settings);
  const firstId = new Map<string, { file: string; path: Path }>();
  const byTerms = new Map<string, { id: string; text: string }>();
  for (const { flow, file } of flows) {
    const report = reporter(file, flow.id, locate, out);
    (flow.questions ?? []).forEach((q, i) => {
      const base: Path = ['questions', i];
      const earlier = firstId.get(q.id);
      if (earlier) {
        report.warn(
          [...base, 'id'],
          `question id ${quote(q.id)} is also used by ${where(locate, earlier.file, earlier.path)}; only the first is matched`,
          'give each question a unique id across flows',
        );
        return;
      }
      firstId.set(q.id, { file, path: [...base, 'id'] });
      const target = questionTarget(flow.id, q.goto);
      checkTarget(flows, report, [...base, 'goto'], q.goto, target);
      q.phrasings.forEach((p, j) => {
        const path: Path = [...base, 'phrasings', j];
        const text = textOf(p);
        const claimant = claimants.find((c) => c.target !== `${target.flow}:${target.node}` && c.matches(text));
        if (claimant)
          report.warn(
            path,
            `phrasing ${quote(text)} of question ${quote(q.id)} is claimed first by ${claimant.label}; the question is never reached by it`,
            'reword the phrasing, or point that trigger at the same node as the question',
          );
        const terms = index.terms(text, typeof p === 'string' ? q.lang : p.lang).join(' ');
        const same = byTerms.get(terms);
        if (same && same.id !== q.id) {
          report.warn(
            path,
            `phrasing ${quote(text)} of question ${quote(q.id)} is the same, once normalized, as ${quote(same.text)} of question ${quote(same.id)}`,
            'keep it in one question only, or add the words that tell them apart',
          );
          return;
        }
        if (terms !== '') byTerms.set(terms, { id: q.id, text });
        // Typed exactly as written, the phrasing should answer its own question at once.
        const [best, second] = index.match(text, 2);
        const rival = best && best.question.id !== q.id ? best : second;
        if (best && rival && (best.question.id !== q.id || best.confidence < settings.questions.answer_threshold))
          report.warn(
            path,
            best.question.id !== q.id
              ? `phrasing ${quote(text)} of question ${quote(q.id)} matches question ${quote(rival.question.id)} better than its own`
              : `phrasing ${quote(text)} of question ${quote(q.id)} is too close to question ${quote(rival.question.id)}: typed as written, it gets "Did you mean…"`,
            `reword it with the words that tell ${quote(q.id)} apart, or move it to ${quote(rival.question.id)}`,
          );
      });
    });
  }
}

function checkTarget(
  flows: readonly LoadedFlow[],
  report: Reporter,
  path: Path,
  goto: string,
  target: { flow: string; node: string },
): void {
  const flow = flows.find((f) => f.flow.id === target.flow)?.flow;
  if (!flow)
    return report.error(
      path,
      `goto ${quote(goto)}: there is no flow ${quote(target.flow)}`,
      `use one of: ${flows.map((f) => f.flow.id).join(', ')}`,
    );
  if (!flow.nodes[target.node])
    report.error(
      path,
      `goto ${quote(goto)}: flow ${quote(target.flow)} has no node ${quote(target.node)}`,
      `use one of its nodes: ${Object.keys(flow.nodes).slice(0, 12).join(', ')}`,
    );
}

/** Everything that reads typed text before the questions do: global keywords, then keyword triggers. */
function keywordClaimants(flows: readonly LoadedFlow[], settings: Settings): Claimant[] {
  const globals: Claimant[] = Object.entries(settings.keywords).flatMap(([kind, words]) =>
    words.map((w) => ({
      label: `the global ${kind} keyword ${quote(w)}`,
      matches: (text: string) => matchesKeyword(said(text), w, 'exact'),
    })),
  );
  const triggers: Claimant[] = flows.flatMap(({ flow }) =>
    flow.triggers.flatMap((t) =>
      'keyword' in t
        ? [t.keyword].flat().map((k) => ({
            label: `keyword ${quote(k)} of flow ${quote(flow.id)}`,
            target: `${flow.id}:${t.goto ?? flow.start}`,
            matches: (text: string) => matchesKeyword(said(text), k, t.match),
          }))
        : [],
    ),
  );
  return [...globals, ...triggers];
}
