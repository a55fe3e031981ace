import type { Action, Flow, FlowNode } from '../engine/flowSchema';
import { controlsOf, type Path } from './lintScope';

/** One reference to a node: where it is written and, for node-level ones, which node holds it. */
export interface Ref {
  readonly target: string;
  readonly path: Path;
  readonly from?: string;
}

function actionRefs(actions: readonly Action[] | undefined, base: Path, from: string): Ref[] {
  return (actions ?? []).flatMap((a, i) =>
    'goto' in a ? [{ target: a.goto, path: [...base, 'actions', i, 'goto'], from }] : [],
  );
}

/** Every node id a node refers to, by any edge the engine can follow (or could, were it not shadowed). */
export function nodeRefs(flow: Flow, id: string): Ref[] {
  const node = flow.nodes[id];
  if (!node) return [];
  const at = (target: string | undefined, ...path: Array<string | number>): Ref[] =>
    target === undefined ? [] : [{ target, path: ['nodes', id, ...path], from: id }];
  return [
    ...at(node.next, 'next'),
    ...actionRefs(node.actions, ['nodes', id], id),
    ...(node.branch ?? []).flatMap((b, i) => ('else' in b ? at(b.else, 'branch', i, 'else') : at(b.goto, 'branch', i, 'goto'))),
    ...(node.randomize ?? []).flatMap((r, i) => at(r.goto, 'randomize', i, 'goto')),
    ...(['ok', 'not_found', 'failed', 'timeout'] as const).flatMap((k) => at(node.request?.[k], 'request', k)),
    ...at(node.request?.cards?.empty, 'request', 'cards', 'empty'),
    ...(node.products?.buttons ?? []).flatMap((b, j) => ('goto' in b ? at(b.goto, 'products', 'buttons', j, 'goto') : [])),
    ...at(node.products?.empty?.goto, 'products', 'empty', 'goto'),
    ...at(node.ask?.on_fail, 'ask', 'on_fail'),
    ...at(node.ask?.next, 'ask', 'next'),
    ...controlsOf(flow, id).flatMap(({ path, control }) => [
      ...(control.goto === undefined ? [] : [{ target: control.goto, path: [...path, 'goto'], from: id }]),
      ...actionRefs(control.actions, path, id),
    ]),
  ];
}

/** References outside nodes: start, entry and trigger gotos. */
export function flowRefs(flow: Flow): Ref[] {
  return [
    { target: flow.start, path: ['start'] },
    ...(flow.entry === undefined ? [] : [{ target: flow.entry, path: ['entry'] }]),
    ...flow.triggers.flatMap((t, i) => (t.goto === undefined ? [] : [{ target: t.goto, path: ['triggers', i, 'goto'] }])),
  ];
}

/**
 * What the engine does after a node speaks (run.ts enterNode/afterSay): a `goto` action wins over
 * everything, then request, ask, branch, randomize, handover, next. A handover action ends the run.
 * A request moves on without the user (its result does), so its branches count as moves.
 */
export type Continuation =
  | { readonly kind: 'ends'; readonly by: 'handover action' | 'handover' }
  | { readonly kind: 'asks' }
  | {
      readonly kind: 'moves';
      readonly by: 'goto action' | 'request' | 'branch' | 'randomize' | 'next';
      readonly targets: readonly Ref[];
    }
  | { readonly kind: 'stops' };

export function continuation(flow: Flow, id: string, node: FlowNode): Continuation {
  if ((node.actions ?? []).some((a) => 'handover' in a)) return { kind: 'ends', by: 'handover action' };
  const refs = nodeRefs(flow, id);
  const under = (key: string): Ref[] => refs.filter((r) => r.path[2] === key);
  const jumps = under('actions');
  const last = jumps[jumps.length - 1];
  if (last) return { kind: 'moves', by: 'goto action', targets: [last] };
  if (node.request) return { kind: 'moves', by: 'request', targets: under('request') };
  if (node.ask) return { kind: 'asks' };
  if (node.branch) return { kind: 'moves', by: 'branch', targets: under('branch') };
  if (node.randomize) return { kind: 'moves', by: 'randomize', targets: under('randomize') };
  if (node.handover) return { kind: 'ends', by: 'handover' };
  if (node.next !== undefined) return { kind: 'moves', by: 'next', targets: under('next') };
  return { kind: 'stops' };
}

/** Nodes reachable from `roots` through every reference (unknown targets are skipped). */
export function reachable(flow: Flow, roots: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const todo = [...roots].filter((r) => flow.nodes[r] !== undefined);
  for (let id = todo.pop(); id !== undefined; id = todo.pop()) {
    if (seen.has(id)) continue;
    seen.add(id);
    for (const r of nodeRefs(flow, id)) if (flow.nodes[r.target] && !seen.has(r.target)) todo.push(r.target);
  }
  return seen;
}

/** Where each trigger lands: its goto, else the start node. */
export const triggerTarget = (flow: Flow, t: Flow['triggers'][number]): string => t.goto ?? flow.start;
