import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';

/**
 * A YAML (or JSON: JSON is YAML too) file parsed with its line numbers, so every problem found in
 * it — by the parser, a zod schema or the linter — can name the line it is on.
 */
export interface YamlDocument {
  readonly doc: Document;
  readonly lines: LineCounter;
}

export function parseYamlDocument(text: string): YamlDocument {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true }), lines };
}

/** The parser's own errors, each with its line (with prettyErrors off only the offset is always set). */
export function syntaxErrors(y: YamlDocument): Array<{ readonly line: number; readonly message: string; readonly code: string }> {
  return y.doc.errors.map((e) => ({
    line: e.linePos?.[0]?.line ?? y.lines.linePos(e.pos[0]).line,
    message: e.message.split('\n')[0] ?? e.message,
    code: e.code,
  }));
}

/**
 * The line of the value at `path`, or of its closest ancestor that exists. For a mapping entry it
 * is the line of the key (`welcome:`), not the first line of its block.
 */
export function lineOf(y: YamlDocument, path: ReadonlyArray<string | number>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = (sub.length === 0 ? y.doc.contents : y.doc.getIn(sub, true)) as { range?: [number, number, number] } | null;
    const range = keyRange(y.doc, sub) ?? node?.range;
    if (range) return y.lines.linePos(range[0]).line;
  }
  return undefined;
}

function keyRange(doc: Document, path: ReadonlyArray<string | number>): [number, number, number] | undefined {
  const last = path[path.length - 1];
  if (typeof last !== 'string') return undefined;
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const key = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
  return isScalar(key) ? (key.range ?? undefined) : undefined;
}

/** A zod issue's path without symbols: the keys and indexes a problem names and lineOf finds. */
export type IssuePath = Array<string | number>;

/**
 * A schema's issues as problems at their lines in the file, each with the fix `fixFor` gives for
 * its path (broadcast and sequence files; flows name their node too: loadFlows).
 */
export function schemaIssues(
  file: string,
  y: YamlDocument,
  error: { readonly issues: ReadonlyArray<{ readonly path: ReadonlyArray<PropertyKey>; readonly message: string }> },
  fixFor: (path: IssuePath) => string,
): Array<{ severity: 'error'; file: string; line?: number; message: string; fix: string }> {
  return error.issues.map((issue) => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const line = lineOf(y, path);
    return {
      severity: 'error',
      file,
      ...(line !== undefined ? { line } : {}),
      message: `${path.join('.') || '(file)'}: ${issue.message}`,
      fix: fixFor(path),
    };
  });
}
