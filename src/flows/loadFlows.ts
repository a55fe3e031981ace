import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { buildFlowSet, type FlowSet, type LoadedFlow } from '../engine/flowSet';
import { flowSchema, settingsSchema, type Settings } from './flowSchema';
import { lintFlows } from './lintFlows';
import type { Locate, Problem } from './problem';

/** The optional file in FLOWS_DIR (settings.yaml, .yml or .json) with global keywords, default flow and messages. */
const isSettings = (name: string) => basename(name, extname(name)) === 'settings';
const FLOW_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export type LoadOutcome =
  | { readonly ok: true; readonly flowSet: FlowSet; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

interface ParsedFile {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

function parseFile(dir: string, name: string): ParsedFile {
  const path = join(dir, name);
  const text = readFileSync(path, 'utf8');
  const lines = new LineCounter();
  // JSON is YAML too, so one parser gives both formats line numbers.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  return { file: relative(process.cwd(), path) || name, text, doc, lines };
}

function lineOf(f: ParsedFile, path: ReadonlyArray<string | number>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = f.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const range = keyRange(f.doc, path.slice(0, n)) ?? node?.range;
    if (range) return f.lines.linePos(range[0]).line;
  }
  return undefined;
}

/** Where the key of a mapping entry is written: `welcome:` rather than the first line of its block. */
function keyRange(doc: Document, path: ReadonlyArray<string | number>): [number, number, number] | undefined {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const key = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
  return isScalar(key) ? (key.range ?? undefined) : undefined;
}

function schemaProblems(f: ParsedFile, error: z.ZodError, schemaFile = 'schemas/flow.schema.json'): Problem[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const node = path[0] === 'nodes' && typeof path[1] === 'string' ? path[1] : undefined;
    return {
      severity: 'error',
      file: f.file,
      line: lineOf(f, path),
      node,
      message: `${path.join('.') || '(file)'}: ${issue.message}`,
      fix: `see docs/flows.md for the field, or let your editor validate against ${schemaFile}`,
    };
  });
}

function syntaxProblems(f: ParsedFile): Problem[] {
  return f.doc.errors.map((e) => ({
    severity: 'error',
    file: f.file,
    // With prettyErrors off the parser sets no linePos; the offset is always there.
    line: e.linePos?.[0]?.line ?? f.lines.linePos(e.pos[0]).line,
    message: e.message.split('\n')[0] ?? e.message,
    fix: e.code === 'DUPLICATE_KEY' ? 'rename one of the two: ids must be unique' : 'fix the YAML/JSON syntax at that line',
  }));
}

function loadSettings(dir: string, names: readonly string[]): { settings?: Settings; parsed?: ParsedFile; problems: Problem[] } {
  const found = names.filter(isSettings);
  if (found.length > 1) {
    return {
      problems: [
        {
          severity: 'error',
          file: join(dir, found.join(', ')),
          message: 'more than one settings file',
          fix: 'keep one: settings.yaml',
        },
      ],
    };
  }
  if (!found[0]) return { settings: settingsSchema.parse({}), problems: [] };
  const f = parseFile(dir, found[0]);
  if (f.doc.errors.length > 0) return { problems: syntaxProblems(f) };
  const parsed = settingsSchema.safeParse(f.doc.toJS() ?? {});
  return parsed.success
    ? { settings: parsed.data, parsed: f, problems: [] }
    : { problems: schemaProblems(f, parsed.error, 'schemas/settings.schema.json') };
}

/**
 * Reads every flow file in `dir`, validates it, lints the whole set and builds the FlowSet the
 * engine runs. Any error refuses the load (start-up stops; `flows check` exits non-zero).
 */
export function loadFlows(dir: string): LoadOutcome {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => FLOW_EXTENSIONS.has(extname(n)) && n !== 'messenger-profile.yaml')
      .sort(); // the Messenger Profile (talkshop profile sync), not a flow
  } catch {
    return {
      ok: false,
      problems: [
        {
          severity: 'error',
          file: dir,
          message: 'cannot read the flows directory',
          fix: 'set FLOWS_DIR to a directory of flow files',
        },
      ],
    };
  }
  const { settings, parsed: settingsFile, problems } = loadSettings(dir, names);
  // The settings file is located like a flow, so its lint problems name their line too.
  const files = new Map<string, ParsedFile>(settingsFile ? [[settingsFile.file, settingsFile]] : []);
  const loaded: LoadedFlow[] = [];
  for (const name of names.filter((n) => !isSettings(n))) {
    const f = parseFile(dir, name);
    files.set(f.file, f);
    if (f.doc.errors.length > 0) {
      problems.push(...syntaxProblems(f));
      continue;
    }
    const parsed = flowSchema.safeParse(f.doc.toJS());
    if (!parsed.success) problems.push(...schemaProblems(f, parsed.error));
    else
      loaded.push({ flow: parsed.data, file: f.file, version: createHash('sha256').update(f.text).digest('hex').slice(0, 12) });
  }
  if (loaded.length === 0 && problems.length === 0) {
    problems.push({
      severity: 'error',
      file: dir,
      message: 'no flow files (*.yaml, *.yml, *.json)',
      fix: 'add a flow; see flows/shop.yaml and docs/flows.md',
    });
  }
  const locate: Locate = (file, path) => {
    const f = files.get(file);
    return f ? lineOf(f, path) : undefined;
  };
  if (settings && loaded.length > 0) problems.push(...lintFlows(loaded, settings, locate, settingsFile?.file));
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !settings) return { ok: false, problems };
  return { ok: true, flowSet: buildFlowSet(loaded, settings), warnings: problems };
}
