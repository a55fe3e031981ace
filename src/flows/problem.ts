import { readdirSync } from 'node:fs';
/** One finding of the flow loader or linter: where, what, and how to fix it. */
export interface Problem {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line?: number;
  readonly flow?: string;
  readonly node?: string;
  readonly message: string;
  readonly fix: string;
}

/** Maps a path inside a flow file (e.g. ['nodes','welcome','say',0,'text']) to its 1-based line. */
export type Locate = (file: string, path: ReadonlyArray<string | number>) => number | undefined;

export function formatProblem(p: Problem): string {
  const where = [p.line ? `${p.file}:${p.line}` : p.file, p.flow && `flow ${p.flow}`, p.node && `node ${p.node}`]
    .filter(Boolean)
    .join(' ');
  return `${p.severity}: ${where}: ${p.message}\n  fix: ${p.fix}`;
}

/** The sorted names in `dir` that `accept` takes, or the problem to report when it cannot be read. */
export function listDir(
  dir: string,
  accept: (name: string) => boolean,
  what: string,
  fix: string,
): { readonly ok: true; readonly names: string[] } | { readonly ok: false; readonly problems: Problem[] } {
  try {
    return { ok: true, names: readdirSync(dir).filter(accept).sort() };
  } catch {
    return { ok: false, problems: [{ severity: 'error', file: dir, message: `cannot read the ${what} directory`, fix }] };
  }
}
