import type { LoadedFlow } from '../engine/flowSet';
import type { Settings } from '../engine/flowSchema';
import { normalize } from '../engine/normalize';
import { quote, type Reporter } from './lintScope';

/** Words that tell a reader they are talking to software, in the languages Pages often serve (compared accent- and case-folded). */
const SAYS_AUTOMATED =
  /\b(bot|chatbot|robot|automated|automatic|automatique|automatise|automatico|automatizado|automatisch|automatisiert|virtual assistant|assistant virtuel|asistente virtual|assistente virtuale|ai assistant)\b|机器人|自动|ボット|自動/u;

/** Whether a text says the customer is talking to an automated assistant. */
export const saysAutomated = (text: string): boolean => SAYS_AUTOMATED.test(normalize(text));

/** Nodes followed from the default flow's start to find its first message (the `next` chain). */
const FIRST_MESSAGE_DEPTH = 10;

/** The default flow's first text (a `say` text or an `ask`), following `next` from its start; with where it is. */
export function firstMessage(flow: LoadedFlow['flow']): { readonly node: string; readonly text: string } | undefined {
  let id: string | undefined = flow.start;
  for (let i = 0; id !== undefined && i < FIRST_MESSAGE_DEPTH; i++) {
    const node: LoadedFlow['flow']['nodes'][string] | undefined = flow.nodes[id];
    if (!node) return undefined;
    for (const spec of node.say ?? []) if ('text' in spec) return { node: id, text: spec.text };
    if (node.ask) return { node: id, text: node.ask.text };
    id = node.next;
  }
  return undefined;
}

/**
 * settings.yaml `disclosure`: with it off, nothing tells a first-time customer they are talking
 * to a bot unless the default flow's first message does, so that message must say it (a word
 * such as "automated", "bot" or "virtual assistant", in the languages SAYS_AUTOMATED knows).
 */
export function lintDisclosure(flows: readonly LoadedFlow[], settings: Settings, report: Reporter): void {
  if (settings.disclosure.enabled) return;
  const defaultFlow = flows.find((f) => f.flow.id === (settings.default_flow ?? flows[0]?.flow.id))?.flow;
  if (!defaultFlow) return;
  const first = firstMessage(defaultFlow);
  if (first && saysAutomated(first.text)) return;
  report.warn(
    ['disclosure', 'enabled'],
    first
      ? `disclosure is off and the default flow's first message (${defaultFlow.id}/${first.node}: ${quote(first.text)}) does not say the customer is talking to an automated assistant`
      : `disclosure is off and the default flow ${quote(defaultFlow.id)} starts with no text that says the customer is talking to an automated assistant`,
    'turn disclosure on (disclosure.enabled: true), or say it in that message, e.g. "Hi! I\'m the shop\'s automated assistant."',
  );
}
