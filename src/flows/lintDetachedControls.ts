import type { MessageSpec } from '../engine/flowSchema';
import type { LoadedFlow } from '../engine/flowSet';
import { controlsOf, quote, type Path, type Reporter } from './lintScope';

type Tappable = { readonly goto?: string; readonly payload?: string };

/** Payloads some flow answers: its postback triggers and the payloads written on its buttons and quick replies. */
export function answeredPayloads(flows: Iterable<LoadedFlow>): Set<string> {
  const out = new Set<string>();
  for (const { flow } of flows) {
    for (const t of flow.triggers) if ('postback' in t) out.add(t.postback);
    for (const id of Object.keys(flow.nodes))
      for (const c of controlsOf(flow, id)) if (c.control.payload !== undefined) out.add(c.control.payload);
  }
  return out;
}

/**
 * The buttons and quick replies of a message sent outside any flow (a broadcast, a sequence step):
 * they cannot `goto` a node, and a hand-written payload must be one a flow answers (`answered`;
 * undefined when the flows did not load), or the tap does nothing. `what` names the sender in the
 * messages ("a broadcast"), `whole` what `start:` would replace ("broadcast").
 */
export function lintDetachedControls(
  spec: MessageSpec,
  base: Path,
  report: Reporter,
  answered: ReadonlySet<string> | undefined,
  what: { readonly sender: string; readonly whole: string },
): void {
  const found: Array<[Path, Tappable]> = [];
  if ('quick_replies' in spec)
    (spec.quick_replies ?? []).forEach((q, k) => 'title' in q && found.push([[...base, 'quick_replies', k], q]));
  if ('buttons' in spec)
    (spec.buttons ?? []).forEach((x, k) => !('url' in x) && !('call' in x) && found.push([[...base, 'buttons', k], x]));
  if ('cards' in spec)
    spec.cards.forEach((c, n) =>
      (c.buttons ?? []).forEach(
        (x, k) => !('url' in x) && !('call' in x) && found.push([[...base, 'cards', n, 'buttons', k], x]),
      ),
    );
  for (const [path, c] of found) {
    if (c.goto !== undefined)
      report.error(
        [...path, 'goto'],
        `goto ${quote(c.goto)}: ${what.sender} is not part of a flow, so its buttons cannot jump to a node`,
        `give the button a payload that a flow answers (a postback trigger), or use start: FLOW/NODE for the whole ${what.whole}`,
      );
    if (c.payload === undefined) continue;
    if (c.payload.startsWith('TS|'))
      report.error(
        [...path, 'payload'],
        `payload ${quote(c.payload)}: TS| is reserved for generated payloads`,
        'choose another payload',
      );
    else if (answered && !answered.has(c.payload))
      report.warn(
        [...path, 'payload'],
        `payload ${quote(c.payload)} is answered by no flow: a tap is counted but nothing happens`,
        `add a trigger { postback: ${c.payload}, goto: <node> } to a flow`,
      );
  }
}
