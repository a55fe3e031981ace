import type { LoadedFlow } from '../engine/flowSet';
import { normalize } from '../engine/normalize';
import type { Settings, Trigger } from '../engine/flowSchema';
import { quote, regexError, regexRisk, reporter, where, type Path, type Reporter } from './lintScope';
import type { Locate, Problem } from './problem';

interface Seen {
  readonly file: string;
  readonly flow: string;
  readonly path: Path;
}

/**
 * Triggers across all flows: keyword patterns compile and can match, no keyword is shadowed by a
 * global keyword, and no keyword, postback, ref or get_started is claimed twice (only the first
 * trigger would fire). Pure.
 */
export function lintTriggers(flows: readonly LoadedFlow[], settings: Settings, locate: Locate, out: Problem[]): void {
  const seen = new Map<string, Seen>();
  const globals = new Map(
    Object.entries(settings.keywords).flatMap(([kind, words]) => words.map((w) => [normalize(w), kind] as const)),
  );
  for (const { flow, file } of flows) {
    const report = reporter(file, flow.id, locate, out);
    const claim = (key: string, label: string, path: Path): void => {
      const first = seen.get(key);
      if (!first) return void seen.set(key, { file, flow: flow.id, path });
      report.warn(
        path,
        `${label} is also a trigger of flow ${quote(first.flow)} (${where(locate, first.file, first.path)}); only one of them fires`,
        'keep it in one trigger only',
      );
    };
    flow.triggers.forEach((t, i) => {
      const path: Path = ['triggers', i];
      if ('keyword' in t) keywords(report, t, path, globals, claim);
      else if ('postback' in t) claim(`postback:${t.postback}`, `postback ${quote(t.postback)}`, [...path, 'postback']);
      else if ('ref' in t) claim(`ref:${t.ref}`, `ref ${quote(t.ref)}`, [...path, 'ref']);
      else if ('get_started' in t) claim('get_started', 'get_started', path);
      else if ('optin' in t)
        claim(`optin:${String(t.optin)}`, t.optin === true ? 'optin: true' : `optin ${quote(t.optin)}`, path);
    });
  }
}

type Claim = (key: string, label: string, path: Path) => void;

function keywords(
  report: Reporter,
  t: Extract<Trigger, { keyword: unknown }>,
  base: Path,
  globals: ReadonlyMap<string, string>,
  claim: Claim,
): void {
  const list = [t.keyword].flat();
  list.forEach((k, j) => {
    const path: Path = Array.isArray(t.keyword) ? [...base, 'keyword', j] : [...base, 'keyword'];
    if (t.match === 'regex') {
      const problem = regexError(k, 'iu');
      if (problem)
        report.error(
          path,
          `keyword pattern ${quote(k)} does not compile: ${problem}`,
          'write a valid JavaScript regular expression, or use match: exact or contains',
        );
      const risk = problem ? undefined : regexRisk(k, 'iu');
      if (risk) report.error(path, `keyword pattern ${quote(k)} ${risk.problem}`, risk.fix);
      return claim(`re:${k}`, `keyword pattern ${quote(k)}`, path);
    }
    const word = normalize(k);
    if (word === '')
      return report.warn(
        path,
        `keyword ${quote(k)} never matches: nothing is left once punctuation and spaces are dropped`,
        'use a word',
      );
    const global = globals.get(word);
    if (global)
      report.warn(
        path,
        `keyword ${quote(k)} is a global ${global} keyword (settings.yaml keywords.${global}); this trigger never fires`,
        `use another keyword, or remove it from keywords.${global}`,
      );
    claim(`kw:${word}`, `keyword ${quote(k)}`, path);
  });
}
