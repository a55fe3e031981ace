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
