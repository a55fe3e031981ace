import { flowRefs, nodeRefs } from './flowGraph';
import type { Action, Flow } from '../engine/flowSchema';
import { controlsOf, nodeEntries } from './lintScope';

/** Fields every path to a node has set: on entering it (before its actions) and after its actions. */
export interface KnownFields {
  readonly onEntry: ReadonlyMap<string, ReadonlySet<string>>;
  readonly afterActions: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Applies `set`, `increment` and `unset` actions, in order, to a set of fields. */
function applyActions(known: ReadonlySet<string>, actions: readonly Action[] | undefined): Set<string> {
  const out = new Set(known);
  for (const a of actions ?? []) {
    if ('set' in a) Object.keys(a.set).forEach((k) => out.add(k));
    else if ('increment' in a) out.add(typeof a.increment === 'string' ? a.increment : a.increment.field);
    else if ('unset' in a) [a.unset].flat().forEach((k) => out.delete(k));
  }
  return out;
}

const intersect = (a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): Set<string> =>
  new Set(a === undefined ? b : [...b].filter((k) => a.has(k)));

/**
 * A must-set analysis: a field is known at a node when every way into it, from start, entry and
 * the triggers, sets it (an answered ask, a `set` or `increment` action, a tapped control's
 * actions) and nothing unsets it. Users who come from other flows may know more; never less.
 */
export function knownFields(flow: Flow): KnownFields {
  const roots = new Set(flowRefs(flow).map((r) => r.target));
  const onEntry = new Map<string, Set<string>>();
  for (const r of roots) if (flow.nodes[r]) onEntry.set(r, new Set());
  const afterActions = new Map<string, Set<string>>();
  for (let changed = true; changed;) {
    changed = false;
    const incoming = new Map<string, Set<string>>();
    for (const [id, node] of nodeEntries(flow)) {
      const entry = onEntry.get(id);
      if (entry === undefined) continue; // not reached yet
      const after = applyActions(entry, node.actions);
      afterActions.set(id, after);
      for (const { target, known } of outgoing(flow, id, after))
        if (flow.nodes[target]) incoming.set(target, intersect(incoming.get(target), known));
    }
    for (const [id, known] of incoming) {
      const next = roots.has(id) ? new Set<string>() : known;
      const prev = onEntry.get(id);
      if (prev === undefined || prev.size !== next.size) {
        onEntry.set(id, next);
        changed = true;
      }
    }
  }
  return { onEntry, afterActions };
}

/** Each edge out of a node with the fields known when it is taken. */
function outgoing(flow: Flow, id: string, after: ReadonlySet<string>): Array<{ target: string; known: ReadonlySet<string> }> {
  const ask = flow.nodes[id]?.ask;
  const answered = ask ? new Set([...after, ask.into]) : after;
  const controls = controlsOf(flow, id);
  return nodeRefs(flow, id).map((ref) => {
    const [, , key, sub] = ref.path;
    if (ask && (key === 'next' || (key === 'ask' && (sub === 'next' || sub === 'choices'))))
      return { target: ref.target, known: answered };
    // A product card's button stores the tapped product's id in its `into` field.
    const product =
      key === 'products' && sub === 'buttons' ? flow.nodes[id]?.products?.buttons?.[Number(ref.path[4])] : undefined;
    if (product && 'into' in product) return { target: ref.target, known: new Set([...after, product.into]) };
    const control = controls.find((c) => c.path.every((p, i) => ref.path[i] === p));
    return { target: ref.target, known: control ? applyActions(after, control.control.actions) : after };
  });
}
