import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import type { z } from 'zod';
import { buildFlowSet, type FlowSet, type LoadedFlow } from '../engine/flowSet';
import { flowSchema, settingsSchema, type Settings } from '../engine/flowSchema';
import { loadCatalogs } from './loadCatalog';
import { lintFlows } from './lintFlows';
import { lintSequences } from './lintSequences';
import { loadSequences } from './loadSequences';
import { listDir, type Locate, type Problem } from './problem';
import { MESSENGER_PROFILE_FILE } from './profileFile';
import { lineOf, parseYamlDocument, syntaxErrors, type YamlDocument } from './yamlDocument';

/** The optional file in FLOWS_DIR (settings.yaml, .yml or .json) with global keywords, default flow and messages. */
const isSettings = (name: string) => basename(name, extname(name)) === 'settings';
const FLOW_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export type LoadOutcome =
  | { readonly ok: true; readonly flowSet: FlowSet; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

interface ParsedFile extends YamlDocument {
  readonly file: string;
  readonly text: string;
}

function parseFile(dir: string, name: string): ParsedFile {
  const path = join(dir, name);
  const text = readFileSync(path, 'utf8');
  return { file: relative(process.cwd(), path) || name, text, ...parseYamlDocument(text) };
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
  return syntaxErrors(f).map((e) => ({
    severity: 'error',
    file: f.file,
    line: e.line,
    message: e.message,
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
  return settingsOf(parseFile(dir, found[0]));
}

/** One settings file, parsed and validated. */
function settingsOf(f: ParsedFile): { settings?: Settings; parsed?: ParsedFile; problems: Problem[] } {
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
export function loadFlows(dir: string, options: { readonly settingsFile?: string } = {}): LoadOutcome {
  // The Messenger Profile (talkshop profile sync) sits beside the flows but is not one.
  const listed = listDir(
    dir,
    (n) => FLOW_EXTENSIONS.has(extname(n)) && n !== MESSENGER_PROFILE_FILE,
    'flows',
    'set FLOWS_DIR to a directory of flow files',
  );
  if (!listed.ok) return listed;
  const { names } = listed;
  // A Page sharing a flows folder with others may bring settings of its own (PAGES_FILE, docs/pages.md):
  // they replace the folder's settings file, which is then not read.
  const own = options.settingsFile;
  const {
    settings,
    parsed: settingsFile,
    problems,
  } = own === undefined ? loadSettings(dir, names) : settingsOf(parseFile(dirname(own), basename(own)));
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
  // Drip sequences (FLOWS_DIR/sequences/) are loaded with the flows, so whatever runs them has both.
  const sequences = loadSequences(dir);
  problems.push(...sequences.problems);
  // Product catalogs (FLOWS_DIR/catalogs/) too: a bad row stops the load like a bad flow.
  const catalogs = loadCatalogs(dir);
  problems.push(...catalogs.problems);
  const locate: Locate = (file, path) => {
    const f = files.get(file) ?? sequences.documents.get(file);
    return f ? lineOf(f, path) : undefined;
  };
  if (settings && loaded.length > 0) {
    problems.push(...lintFlows(loaded, settings, locate, settingsFile?.file, catalogs.catalogs));
    problems.push(...lintSequences(sequences.sequences, sequences.ids, loaded, settings, locate));
  }
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !settings) return { ok: false, problems };
  const flowSet = buildFlowSet(
    loaded,
    settings,
    sequences.sequences.map((s) => s.sequence),
    catalogs.catalogs,
  );
  return { ok: true, flowSet, warnings: problems };
}
