/**
 * The small path syntax flows use to read a JSON response: `order.status`, `items[0].name`,
 * `data.products`. Keys are letters, digits, `_`, `-` and `$` (not starting with a digit or `-`);
 * `[n]` indexes an array. Capped so a flow cannot describe an expensive walk, and read with own
 * properties only, so a hostile response cannot reach `__proto__` or a prototype's methods.
 */
export const MAX_PATH_LENGTH = 200;
export const MAX_PATH_DEPTH = 10;
export const PATH_SYNTAX = `keys joined by ".", [n] for an array item; at most ${MAX_PATH_DEPTH} steps and ${MAX_PATH_LENGTH} characters`;

export type PathStep = string | number;
export type ParsedPath =
  { readonly ok: true; readonly steps: readonly PathStep[] } | { readonly ok: false; readonly reason: string };

const STEP = /^(?:\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d{1,6})\])/;

export function parseJsonPath(path: string): ParsedPath {
  if (path.length === 0) return { ok: false, reason: 'the path is empty' };
  if (path.length > MAX_PATH_LENGTH) return { ok: false, reason: `the path is longer than ${MAX_PATH_LENGTH} characters` };
  const steps: PathStep[] = [];
  let rest = path;
  while (rest.length > 0) {
    const m = STEP.exec(rest);
    // A leading "." is only allowed between steps.
    if (!m || (steps.length === 0 && rest.startsWith('.')))
      return { ok: false, reason: `cannot read the path at ${JSON.stringify(rest)}` };
    steps.push(m[1] !== undefined ? m[1] : Number(m[2]));
    rest = rest.slice(m[0].length);
  }
  if (steps.length > MAX_PATH_DEPTH) return { ok: false, reason: `the path has more than ${MAX_PATH_DEPTH} steps` };
  return { ok: true, steps };
}

/** The value at `path` in `json`, or undefined when any step is missing (or the path does not parse). */
export function readJsonPath(json: unknown, path: string | readonly PathStep[]): unknown {
  const parsed = typeof path === 'string' ? parseJsonPath(path) : { ok: true as const, steps: path };
  if (!parsed.ok) return undefined;
  let at: unknown = json;
  for (const step of parsed.steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(at) || step >= at.length) return undefined;
      at = at[step] as unknown;
    } else {
      if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, step)) return undefined;
      at = (at as Record<string, unknown>)[step];
    }
  }
  return at;
}
