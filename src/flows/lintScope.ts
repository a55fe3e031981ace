import { forEachControl, type Control, type LoadedFlow } from '../engine/flowSet';
import { interpolate } from '../engine/interpolate';
import type { Flow, FlowNode, Settings } from '../engine/flowSchema';
import { checkSync } from 'recheck';
import type { Locate, Problem } from './problem';

/** A path inside a flow file, e.g. ['nodes', 'welcome', 'say', 0, 'text']. */
export type Path = ReadonlyArray<string | number>;

/** Collects the problems of one file; the node is read from the path (['nodes', <id>, …]). */
export interface Reporter {
  error(path: Path, message: string, fix: string): void;
  warn(path: Path, message: string, fix: string): void;
  /** Errors reported so far through this reporter (lets the render backstop skip known issues). */
  errors(): number;
}

/** What every per-flow check receives. */
export interface FlowScope {
  readonly loaded: LoadedFlow;
  readonly flow: Flow;
  readonly settings: Settings;
  readonly report: Reporter;
}

export function reporter(file: string, flow: string | undefined, locate: Locate, out: Problem[]): Reporter {
  let errors = 0;
  const add = (severity: Problem['severity'], path: Path, message: string, fix: string): void => {
    const node = path[0] === 'nodes' && typeof path[1] === 'string' ? path[1] : undefined;
    const line = locate(file, path);
    if (severity === 'error') errors += 1;
    out.push({
      severity,
      file,
      ...(line !== undefined ? { line } : {}),
      ...(flow ? { flow } : {}),
      ...(node ? { node } : {}),
      message,
      fix,
    });
  };
  return {
    error: (path, message, fix) => add('error', path, message, fix),
    warn: (path, message, fix) => add('warning', path, message, fix),
    errors: () => errors,
  };
}

export const nodeEntries = (flow: Flow): Array<[string, FlowNode]> => Object.entries(flow.nodes);

/** A tappable control of a node with its engine id (see payloads.ts) and its path in the file. */
export interface ControlAt {
  readonly id: string;
  readonly path: Path;
  readonly control: Control & { payload?: string };
}

/** Maps an engine control id (s0q1, s0b2, s1c0b1, a3) to its path inside the node. */
function controlPath(id: string): Path {
  const n = (s: string | undefined): number => Number(s);
  let m = /^s(\d+)q(\d+)$/.exec(id);
  if (m) return ['say', n(m[1]), 'quick_replies', n(m[2])];
  m = /^s(\d+)b(\d+)$/.exec(id);
  if (m) return ['say', n(m[1]), 'buttons', n(m[2])];
  m = /^s(\d+)c(\d+)b(\d+)$/.exec(id);
  if (m) return ['say', n(m[1]), 'cards', n(m[2]), 'buttons', n(m[3])];
  m = /^a(\d+)$/.exec(id);
  return m ? ['ask', 'choices', n(m[1])] : [];
}

/** Every control of a node, enumerated by the engine's own forEachControl so ids always agree. */
export function controlsOf(flow: Flow, nodeId: string): ControlAt[] {
  const found: ControlAt[] = [];
  forEachControl(flow, nodeId, (id, control) => found.push({ id, path: ['nodes', nodeId, ...controlPath(id)], control }));
  return found;
}

/** A template as the engine renders it for a user with no fields yet (settings.defaults only). */
export const fillDefaults = (s: string, settings: Settings): string => interpolate(s, {}, settings.defaults);

/** A value for a message: quoted, shortened past 64 characters (node ids never are). */
export const quote = (s: string): string => JSON.stringify([...s].length > 64 ? `${[...s].slice(0, 63).join('')}…` : s);

/** "file:line" of a path, for messages that point at a second place. */
export const where = (locate: Locate, file: string, path: Path): string => {
  const line = locate(file, path);
  return line === undefined ? file : `${file}:${line}`;
};

/** Compiles a pattern with the engine's flags; the error message when it does not compile. */
export function regexError(pattern: string, flags: string): string | undefined {
  try {
    new RegExp(pattern, flags);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Why a pattern is refused as a ReDoS risk, and how to fix it. */
export interface RegexRisk {
  readonly problem: string;
  readonly fix: string;
}

const risks = new Map<string, RegexRisk | undefined>();

/**
 * Whether a (compiling) pattern can backtrack catastrophically on customer text: exponential or
 * polynomial time in the length of the text. A JavaScript regex cannot be interrupted once it runs, so
 * one such pattern blocks the worker on a crafted message, whatever the cap on text length. The check
 * is recheck's static analysis with fuzzing as a fallback, run in this thread in pure JavaScript (no JVM,
 * no worker, no native binary). Memoized: the same pattern in several files is checked once.
 */
export function regexRisk(pattern: string, flags: string): RegexRisk | undefined {
  const key = `${flags}/${pattern}`;
  if (risks.has(key)) return risks.get(key);
  // recheck reads its backend from the environment at each call; the default for checkSync starts a
  // worker that spawns a native binary or a JVM, which `ignore-scripts` installs need not provide.
  process.env.RECHECK_SYNC_BACKEND ??= 'pure';
  const d = checkSync(pattern, flags, { timeout: 10_000 });
  let risk: RegexRisk | undefined;
  if (d.status === 'vulnerable') {
    const hot = (d.hotspot ?? []).map((h) => pattern.slice(h.start, h.end));
    const where = hot.length > 0 ? ` around ${hot.map((h) => quote(h)).join(' and ')}` : '';
    const how = d.complexity.type === 'exponential' ? 'exponential' : d.complexity.summary;
    risk = {
      problem: `can backtrack catastrophically (${how} time in the text's length${where}): a crafted message would block the worker`,
      fix:
        'make each part of the text matchable in only one way: remove a quantifier nested in another ((a+)+ → a+), ' +
        'keep alternatives and neighbouring repeats from matching the same characters ((a|ab)* → (ab?)*, \\s*#?\\s* → \\s*#?), ' +
        'anchor it with ^ where you can, or for a keyword use match: contains',
    };
  } else if (d.status === 'unknown' && d.error.kind !== 'invalid') {
    risk = {
      problem: `could not be checked for catastrophic backtracking (${d.error.kind})`,
      fix: 'simplify the pattern: fewer nested or adjacent quantifiers',
    };
  }
  risks.set(key, risk);
  return risk;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** "did you mean …" for a misspelled node id, else the list of ids. */
export function suggestNode(flow: Flow, wrong: string): string {
  const ids = Object.keys(flow.nodes);
  const best = ids.map((id) => ({ id, d: distance(wrong.toLowerCase(), id.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  if (best && best.d <= Math.max(2, Math.floor(wrong.length / 3)))
    return `did you mean ${quote(best.id)}? (or add a node ${quote(wrong)})`;
  const shown = ids.slice(0, 12).join(', ') + (ids.length > 12 ? ', …' : '');
  return `use an existing node id (${shown}) or add a node ${quote(wrong)}`;
}
