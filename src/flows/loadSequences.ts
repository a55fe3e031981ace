import { existsSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { sequenceSchema, type Sequence } from '../engine/sequenceSchema';
import { quote } from './lintScope';
import { listDir, type Problem } from './problem';
import { lineOf, parseYamlDocument, schemaIssues, syntaxErrors, type YamlDocument } from './yamlDocument';

/** Where sequence files live, inside FLOWS_DIR. */
export const SEQUENCES_DIR = 'sequences';
export const SEQUENCE_SCHEMA_FILE = 'schemas/sequence.schema.json';
const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** A sequence as loaded: its definition and the file it came from. */
export interface LoadedSequence {
  readonly sequence: Sequence;
  readonly file: string;
}

export interface SequencesLoad {
  readonly sequences: readonly LoadedSequence[];
  /** Syntax, schema and duplicate-id errors; the sequence linter's problems come later, with the flows. */
  readonly problems: readonly Problem[];
  /** Each file parsed, by the name problems use, so later problems can name their line. */
  readonly documents: ReadonlyMap<string, YamlDocument>;
  /**
   * Every id written in a sequence file, valid or not: a flow's start_sequence naming a file that
   * failed to validate is not also reported as unknown (the file's own errors say what is wrong).
   */
  readonly ids: ReadonlySet<string>;
}

function fixFor(path: ReadonlyArray<string | number>): string {
  const last = path[path.length - 1];
  if (last === 'delay') return 'write a number and a unit: 0m, 90m, 1h, 2d or 1w (at most 26w)';
  if (last === 'tag')
    return 'use CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE or ACCOUNT_UPDATE for a non-promotional update, or another kind (docs/sequences.md)';
  return `see docs/sequences.md for the field, or let your editor validate against ${SEQUENCE_SCHEMA_FILE}`;
}

/**
 * Every sequence file in `<flowsDir>/sequences/` (*.yaml, *.yml, *.json; one sequence each),
 * parsed and validated against the zod schema, with ids unique across files. No directory means
 * no sequences. Cross-checks against the flows are lintSequences', once the flows are loaded.
 */
export function loadSequences(flowsDir: string): SequencesLoad {
  const dir = join(flowsDir, SEQUENCES_DIR);
  const empty = { sequences: [], problems: [], documents: new Map(), ids: new Set<string>() };
  if (!existsSync(dir)) return empty;
  const listed = listDir(dir, (n) => EXTENSIONS.has(extname(n)), 'sequences', `make ${dir} a directory of sequence files`);
  if (!listed.ok) return { ...empty, problems: listed.problems };
  const problems: Problem[] = [];
  const sequences: LoadedSequence[] = [];
  const documents = new Map<string, YamlDocument>();
  const ids = new Set<string>();
  const firstFile = new Map<string, string>();
  for (const name of listed.names) {
    const path = join(dir, name);
    const file = relative(process.cwd(), path) || name;
    const y = parseYamlDocument(readFileSync(path, 'utf8'));
    documents.set(file, y);
    if (y.doc.errors.length > 0) {
      problems.push(
        ...syntaxErrors(y).map((e): Problem => ({
          severity: 'error',
          file,
          line: e.line,
          message: e.message,
          fix: e.code === 'DUPLICATE_KEY' ? 'keep one of the two keys' : 'fix the YAML/JSON syntax at that line',
        })),
      );
      continue;
    }
    const raw: unknown = y.doc.toJS();
    const rawId = typeof raw === 'object' && raw !== null && 'id' in raw ? raw.id : undefined;
    if (typeof rawId === 'string') ids.add(rawId);
    const parsed = sequenceSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      problems.push(...schemaIssues(file, y, parsed.error, fixFor));
      continue;
    }
    const earlier = firstFile.get(parsed.data.id);
    if (earlier !== undefined) {
      const line = lineOf(y, ['id']);
      problems.push({
        severity: 'error',
        file,
        ...(line !== undefined ? { line } : {}),
        message: `sequence id ${quote(parsed.data.id)} is already used by ${earlier}`,
        fix: 'give each sequence a unique id: start_sequence and stop_sequence name it, and its statistics are kept under it',
      });
      continue;
    }
    firstFile.set(parsed.data.id, file);
    sequences.push({ sequence: parsed.data, file });
  }
  return { sequences, problems, documents, ids };
}
