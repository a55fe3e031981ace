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
