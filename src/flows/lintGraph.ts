import { questionTarget } from '../engine/questionSchema';
import { continuation, flowRefs, nodeRefs, reachable, triggerTarget, type Ref } from './flowGraph';
import type { Flow, FlowNode } from '../engine/flowSchema';
import { controlsOf, nodeEntries, quote, suggestNode, type FlowScope, type Path } from './lintScope';

/**
 * Structure of one flow: goto targets exist, every node is reachable, no node strands the user,
 * no loop sends messages without waiting for the user, and nothing written is silently ignored.
 * Pure; reads only the flow.
 */
export function lintGraph(scope: FlowScope): void {
  unknownTargets(scope);
  unreachableNodes(scope);
  for (const [id, node] of nodeEntries(scope.flow)) {
    deadEnd(scope, id, node);
    shadowed(scope, id, node);
  }
  autoCycles(scope);
}

function unknownTargets({ flow, report }: FlowScope): void {
  const refs = [...flowRefs(flow), ...Object.keys(flow.nodes).flatMap((id) => nodeRefs(flow, id))];
  for (const ref of refs) {
    if (flow.nodes[ref.target]) continue;
    report.error(
      ref.path,
      `${refLabel(ref.path)} goes to ${quote(ref.target)}, which is not a node of flow ${quote(flow.id)}`,
      suggestNode(flow, ref.target),
    );
  }
}

/** What a reference is, in the words of the flow file: "quick reply goto", "ask on_fail"… */
function refLabel(path: Path): string {
  const keys = path.filter((p): p is string => typeof p === 'string').slice(path[0] === 'nodes' ? 2 : 0);
  const last = keys[keys.length - 1] ?? '';
  const owner = keys.includes('quick_replies')
    ? 'quick reply'
    : keys.includes('cards')
      ? 'card button'
      : keys.includes('buttons')
        ? 'button'
        : keys.includes('choices')
          ? 'choice'
          : '';
  if (keys.includes('actions')) return owner ? `goto action of a ${owner}` : 'goto action';
  if (owner) return `${owner} goto`;
  if (keys[0] === 'triggers') return 'trigger goto';
  return keys.length > 1 ? `${keys[0]} ${last}` : last;
}

function unreachableNodes({ flow, report }: FlowScope): void {
  // A question's goto is a way in too (questionSchema.ts: a node of this flow, or "<flow>:<node>").
  const answers = (flow.questions ?? []).map((q) => questionTarget(flow.id, q.goto)).filter((t) => t.flow === flow.id);
  const roots = [
    flow.start,
    ...(flow.entry ? [flow.entry] : []),
    ...flow.triggers.map((t) => triggerTarget(flow, t)),
    ...answers.map((t) => t.node),
  ];
  const seen = reachable(flow, roots);
  for (const id of Object.keys(flow.nodes)) {
    if (seen.has(id)) continue;
    report.error(
      ['nodes', id],
      `node ${quote(id)} is unreachable: nothing leads to it from start, entry, a trigger or a question`,
      `link to it (next, goto, a quick reply or button, a branch) or delete it`,
    );
  }
}

/** The user can tap something here: a text quick reply, a postback button or card button. */
const hasTappable = (flow: Flow, id: string): boolean =>
  controlsOf(flow, id).some((c) => !c.id.startsWith('a')) || (flow.nodes[id]?.products?.buttons ?? []).some((b) => 'goto' in b);

function deadEnd({ flow, report }: FlowScope, id: string, node: FlowNode): void {
  const next = continuation(flow, id, node);
  if (next.kind === 'stops' && !node.wait && !node.end && !hasTappable(flow, id)) {
    report.error(
      ['nodes', id],
      `node ${quote(id)} is a dead end: it neither waits for the user (ask, quick replies, buttons), continues (next, branch, randomize, goto) nor ends (end, handover)`,
      'add next: <node>, quick replies, wait: true, or end: true if the conversation deliberately ends here',
    );
  }
  if (
    next.kind === 'moves' &&
    next.by === 'branch' &&
    !(node.branch ?? []).some((b) => 'else' in b) &&
    !hasTappable(flow, id) &&
    !node.end
  ) {
    report.warn(
      ['nodes', id, 'branch'],
      `branch of node ${quote(id)} has no else: when no condition holds the conversation stops here`,
      'add a last entry `- else: <node>`',
    );
  }
  const choices = node.ask?.choices ?? [];
  const everyChoiceJumps = node.ask?.capture === 'choice' && choices.length > 0 && choices.every((c) => c.goto !== undefined);
  if (node.ask && node.ask.next === undefined && node.next === undefined && !everyChoiceJumps) {
    report.warn(
      ['nodes', id, 'ask'],
      `after a valid answer to ${quote(node.ask.into)} the bot says nothing more`,
      'add ask.next: <node> (or next: <node>) to continue after the answer',
    );
  }
}

/** Parts of a node the engine never uses because something earlier in enterNode/afterSay wins. */
function shadowed({ flow, report }: FlowScope, id: string, node: FlowNode): void {
  const next = continuation(flow, id, node);
  if (next.kind === 'stops') return;
  const winner = next.kind === 'asks' ? 'ask' : next.by;
  const order = ['request', 'ask', 'branch', 'randomize', 'handover', 'next'] as const;
  const from = winner === 'goto action' || winner === 'handover action' ? 0 : order.indexOf(winner) + 1;
  const ignored: string[] = order.slice(from).filter((key) => node[key] !== undefined && !(key === 'next' && winner === 'ask'));
  if (winner === 'handover action' && node.say) {
    report.warn(
      ['nodes', id, 'say'],
      `say of node ${quote(id)} is never sent: its handover action hands the thread to a person before the node speaks`,
      'use handover: { message: … } on the node instead, or move the messages to a node before it',
    );
  }
  if (node.wait && next.kind !== 'asks') ignored.push('wait');
  if (node.end && next.kind !== 'ends') ignored.push('end');
  for (const key of ignored) {
    report.warn(
      ['nodes', id, key],
      `${key} of node ${quote(id)} is never used: the node's ${winner} decides what happens after it speaks`,
      `remove ${key}, or the ${winner} that overrides it`,
    );
  }
  const jumps = (node.actions ?? []).filter((a) => 'goto' in a);
  if (jumps.length > 1)
    report.warn(
      ['nodes', id, 'actions'],
      `node ${quote(id)} has ${jumps.length} goto actions; only the last one counts`,
      'keep one goto action',
    );
}

/** Automatic edges: what the engine follows without waiting for the user. */
function autoEdges(flow: Flow): Map<string, Ref[]> {
  const edges = new Map<string, Ref[]>();
  for (const [id, node] of nodeEntries(flow)) {
    const next = continuation(flow, id, node);
    edges.set(id, next.kind === 'moves' ? next.targets.filter((r) => flow.nodes[r.target]) : []);
  }
  return edges;
}

/** Strongly connected components (Tarjan); each returned group is a set of mutually reachable nodes. */
function components(edges: ReadonlyMap<string, Ref[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const { target: w } of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      group.push(w);
      if (w === v) break;
    }
    groups.push(group);
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return groups;
}

/** A shortest cycle through `start` inside `group`, as the list of edges taken. */
function cycleThrough(edges: ReadonlyMap<string, Ref[]>, group: ReadonlySet<string>, start: string): Ref[] {
  const via = new Map<string, Ref>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i] as string;
    for (const ref of edges.get(v) ?? []) {
      if (!group.has(ref.target) || via.has(ref.target)) continue;
      via.set(ref.target, ref);
      if (ref.target === start) break;
      queue.push(ref.target);
    }
    if (via.has(start)) break;
  }
  const path: Ref[] = [];
  for (let ref = via.get(start); ref && path.length <= group.size; ref = ref.from === start ? undefined : via.get(ref.from ?? ''))
    path.unshift(ref);
  return path;
}

function autoCycles({ flow, report }: FlowScope): void {
  const edges = autoEdges(flow);
  const order = Object.keys(flow.nodes);
  for (const group of components(edges)) {
    const first = group.sort((a, b) => order.indexOf(a) - order.indexOf(b))[0];
    const selfLoop = first !== undefined && (edges.get(first) ?? []).some((r) => r.target === first);
    if (first === undefined || (group.length < 2 && !selfLoop)) continue;
    const cycle = cycleThrough(edges, new Set(group), first);
    const names = [first, ...cycle.map((r) => r.target)].join(' → ');
    report.error(
      cycle[0]?.path ?? ['nodes', first],
      `loop without user input: ${names} (next, branch, randomize and goto actions only); the engine would send these messages over and over, and stops it after one round`,
      'make one node of the loop wait for the user: give it an ask, or replace its next with quick replies or buttons (quick replies do not stop next)',
    );
  }
}
