import type { FlowSet } from '../engine/flowSet';
import { forEachControl } from '../engine/flowSet';
import type { Flow } from '../engine/flowSchema';
import type { RequestSpec } from '../engine/requestSchema';
import { emptyReached, type Reached } from './runFlowTest';

/**
 * What the conversation tests walked through, per flow: nodes whose output a passing turn checked,
 * quick replies and buttons tapped, and branches taken (a branch's or A/B split's arms, a request's
 * outcomes). Denominators come from the flow files; numerators from the tests' passing turns.
 */

export interface Tally {
  readonly covered: number;
  readonly total: number;
  /** What no test reached, by name. */
  readonly missing: readonly string[];
}

export interface FlowCoverage {
  readonly flow: string;
  readonly file: string;
  readonly nodes: Tally;
  readonly quickReplies: Tally;
  readonly branches: Tally;
}

export interface Coverage {
  readonly flows: readonly FlowCoverage[];
  /** Nodes over every flow. */
  readonly nodes: Tally;
}

export function mergeReached(all: readonly Reached[]): Reached {
  const into = emptyReached();
  for (const r of all) {
    for (const k of r.nodes) into.nodes.add(k);
    for (const k of r.controls) into.controls.add(k);
    for (const k of r.branches) into.branches.add(k);
    for (const k of r.requests) into.requests.add(k);
  }
  return into;
}

const tally = (keys: readonly string[], has: (k: string) => boolean): Tally => {
  const missing = keys.filter((k) => !has(k));
  return { covered: keys.length - missing.length, total: keys.length, missing };
};

/** The outcomes a request names a node for, and the key each test outcome lands on (not_found and timeout fall back to failed). */
const REQUEST_KEYS = ['ok', 'not_found', 'failed', 'timeout'] as const;
function requestBranches(key: string, spec: RequestSpec, requests: ReadonlySet<string>): Array<[string, boolean]> {
  const named = REQUEST_KEYS.filter((o) => spec[o] !== undefined);
  const landsOn = (o: (typeof REQUEST_KEYS)[number]) => (spec[o] !== undefined ? o : 'failed');
  return named.map((o) => [`${key} ${o}`, REQUEST_KEYS.some((t) => requests.has(`${key}@${t}`) && landsOn(t) === o)]);
}

function branchesOf(flow: Flow, r: Reached): Array<[string, boolean]> {
  const out: Array<[string, boolean]> = [];
  for (const [id, node] of Object.entries(flow.nodes)) {
    const key = `${flow.id}/${id}`;
    const arms =
      node.branch?.map((b) => ('else' in b ? `else → ${b.else}` : `→ ${b.goto}`)) ?? node.randomize?.map((o) => `→ ${o.goto}`);
    arms?.forEach((label, i) => out.push([`${key} ${label}`, r.branches.has(`${key}#${i}`)]));
    if (node.request) out.push(...requestBranches(key, node.request, r.requests));
  }
  return out;
}

function controlsOf(flow: Flow): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const id of Object.keys(flow.nodes))
    forEachControl(flow, id, (control, c) =>
      out.push([`${flow.id}/${id}/${control}`, `${flow.id}/${id} "${c.title ?? control}"`]),
    );
  return out;
}

export function coverageOf(flows: FlowSet, r: Reached): Coverage {
  const perFlow = [...flows.flows.values()].map(({ flow, file }): FlowCoverage => {
    const nodes = Object.keys(flow.nodes).map((n) => `${flow.id}/${n}`);
    const labels = new Map(controlsOf(flow));
    const quick = tally([...labels.keys()], (k) => r.controls.has(k));
    const hits = new Map(branchesOf(flow, r));
    const b = tally([...hits.keys()], (k) => hits.get(k) === true);
    const quickReplies = { ...quick, missing: quick.missing.map((k) => labels.get(k) ?? k) };
    return { flow: flow.id, file, nodes: tally(nodes, (k) => r.nodes.has(k)), quickReplies, branches: b };
  });
  const covered = perFlow.reduce((s, f) => s + f.nodes.covered, 0);
  const total = perFlow.reduce((s, f) => s + f.nodes.total, 0);
  return { flows: perFlow, nodes: { covered, total, missing: perFlow.flatMap((f) => f.nodes.missing) } };
}

export const percent = (t: Tally): number => (t.total === 0 ? 100 : Math.floor((1000 * t.covered) / t.total) / 10);

const cell = (t: Tally) => `${t.covered}/${t.total} (${percent(t)}%)`;

/** The coverage table, then what no test reached, for the terminal. */
export function formatCoverage(c: Coverage): string[] {
  const rows = [
    ['flow', 'nodes checked', 'quick replies', 'branches'],
    ...c.flows.map((f) => [f.flow, cell(f.nodes), cell(f.quickReplies), cell(f.branches)]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  for (const f of c.flows) {
    if (f.nodes.missing.length > 0) lines.push(`  ${f.flow}: nodes no test checked: ${f.nodes.missing.join(', ')}`);
    if (f.quickReplies.missing.length > 0) lines.push(`  ${f.flow}: not tapped: ${f.quickReplies.missing.join(', ')}`);
    if (f.branches.missing.length > 0) lines.push(`  ${f.flow}: branches not taken: ${f.branches.missing.join(', ')}`);
  }
  return lines;
}
