import { readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { WHERE_FORMS } from '../audience/parseWhere';
import { quote } from '../flows/lintScope';
import { listDir, type Problem } from '../flows/problem';
import { lineOf, parseYamlDocument, schemaIssues, syntaxErrors } from '../flows/yamlDocument';
import { BROADCAST_TAGS, broadcastSchema, type Broadcast } from './broadcastSchema';
import { lintBroadcast, type BroadcastLintOptions } from './lintBroadcast';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
export const BROADCAST_SCHEMA_FILE = 'schemas/broadcast.schema.json';

/** A broadcast as checked: its definition and the file it came from. */
export interface LoadedBroadcast {
  readonly broadcast: Broadcast;
  readonly file: string;
}

export type BroadcastOutcome =
  | { readonly ok: true; readonly broadcast: Broadcast; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export type BroadcastsOutcome =
  | { readonly ok: true; readonly broadcasts: readonly LoadedBroadcast[]; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** A fix for the schema's issue, by the key it is about. */
function fixFor(path: ReadonlyArray<string | number>): string {
  if (path.includes('where')) return `write each clause in one of the forms:\n    ${WHERE_FORMS.join('\n    ')}`;
  if (path[path.length - 1] === 'tag')
    return `use ${BROADCAST_TAGS.join(', ')} for a non-promotional update, or kind: promotional (inside the messaging window)`;
  return `see README "Broadcasts (definitions)", or let your editor validate against ${BROADCAST_SCHEMA_FILE}`;
}

/**
 * One broadcast definition (YAML or JSON text) parsed, validated and linted. `file` names it in
 * the problems (a path, or e.g. "admin request"). Any error refuses it.
 */
export function checkBroadcast(text: string, file: string, options: BroadcastLintOptions = {}): BroadcastOutcome {
  const y = parseYamlDocument(text);
  if (y.doc.errors.length > 0)
    return {
      ok: false,
      problems: syntaxErrors(y).map((e) => ({
        severity: 'error',
        file,
        line: e.line,
        message: e.message,
        fix: e.code === 'DUPLICATE_KEY' ? 'keep one of the two keys' : 'fix the YAML/JSON syntax at that line',
      })),
    };
  const parsed = broadcastSchema.safeParse(y.doc.toJS() ?? {});
  if (!parsed.success) return { ok: false, problems: schemaIssues(file, y, parsed.error, fixFor) };
  const problems = lintBroadcast(parsed.data, file, (_f, path) => lineOf(y, path), options);
  return problems.some((p) => p.severity === 'error')
    ? { ok: false, problems }
    : { ok: true, broadcast: parsed.data, warnings: problems };
}

/**
 * Every broadcast file in `dir` (*.yaml, *.yml, *.json), each checked, and ids unique across them.
 * Any error refuses the whole directory (`broadcast check` exits 1).
 */
export function loadBroadcasts(dir: string, options: BroadcastLintOptions = {}): BroadcastsOutcome {
  const listed = listDir(dir, (n) => EXTENSIONS.has(extname(n)), 'broadcasts', 'name a directory of broadcast files');
  if (!listed.ok) return listed;
  const { names } = listed;
  const problems: Problem[] = [];
  const loaded: LoadedBroadcast[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const file = relative(process.cwd(), path) || name;
    const result = checkBroadcast(readFileSync(path, 'utf8'), file, options);
    if (!result.ok) {
      problems.push(...result.problems);
      continue;
    }
    problems.push(...result.warnings);
    const earlier = seen.get(result.broadcast.id);
    if (earlier !== undefined) {
      const y = parseYamlDocument(readFileSync(path, 'utf8'));
      const line = lineOf(y, ['id']);
      problems.push({
        severity: 'error',
        file,
        ...(line !== undefined ? { line } : {}),
        message: `broadcast id ${quote(result.broadcast.id)} is already used by ${earlier}`,
        fix: 'give each broadcast a unique id: a user receives each id at most once',
      });
    } else seen.set(result.broadcast.id, file);
    loaded.push({ broadcast: result.broadcast, file });
  }
  const errors = problems.filter((p) => p.severity === 'error');
  return errors.length > 0 ? { ok: false, problems } : { ok: true, broadcasts: loaded, warnings: problems };
}
