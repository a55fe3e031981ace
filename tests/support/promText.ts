/**
 * A strict enough reading of Prometheus's text format for tests: every family's `# HELP` and
 * `# TYPE` once and before its samples, each family's samples together, every sample's name its
 * family's (plus _bucket/_sum/_count for histograms), and no label twice in one sample.
 */
export interface PromSample {
  readonly family: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a scrape; throws with the line on anything Prometheus would refuse. */
export function parsePromText(text: string): PromSample[] {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const closed = new Set<string>();
  const samples: PromSample[] = [];
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name] = meta as unknown as [string, string, string, string | undefined];
      const seen = kind === 'HELP' ? helps : types;
      if (seen.has(name) || closed.has(name)) throw new Error(`# ${kind} ${name} twice: ${line}`);
      if (kind === 'HELP') helps.add(name);
      else types.set(name, meta[3] ?? '');
      if (current !== undefined && current !== name) closed.add(current);
      current = name;
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, value] = m as unknown as [string, string, string | undefined, string];
    const family = familyOf(name, types);
    if (family === undefined || family !== current) throw new Error(`sample outside its family ${family ?? '(none)'}: ${line}`);
    samples.push({ family, name, labels: labelsOf(labelText ?? '', line), value: Number(value) });
  }
  return samples;
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return types.get(base) === 'histogram' || types.get(base) === 'summary' ? base : undefined;
}

function labelsOf(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(LABEL)) {
    if (key! in labels) throw new Error(`label ${key} twice: ${line}`);
    labels[key!] = value!;
  }
  return labels;
}
