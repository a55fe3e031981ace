import type { ControlRef, FlowSet } from './flowSet';

/**
 * Payloads are generated, namespaced and self-describing: `TS|<flow>|<node>|<control>`, where the
 * control id says which quick reply / button / card button / choice it is (s0q1 = message 0,
 * quick reply 1). Marketers never write them; a stale one (node removed) simply resolves to nothing.
 */
const PREFIX = 'TS|';
export const GET_STARTED_PAYLOAD = 'GET_STARTED';
export const OFFER_HUMAN_PAYLOAD = 'TS|_|_|human';

export const payloadFor = (ref: ControlRef): string => `${PREFIX}${ref.flow}|${ref.node}|${ref.control}`;

export function resolvePayload(flows: FlowSet, payload: string): ControlRef | undefined {
  const custom = flows.customPayloads.get(payload);
  if (custom) return custom;
  if (!payload.startsWith(PREFIX)) return undefined;
  const [flow, node, control] = payload.slice(PREFIX.length).split('|');
  return flow && node && control ? { flow, node, control } : undefined;
}

/**
 * START's question (see consentKeywords): one quick reply per topic to subscribe to again, and
 * "no thanks". In the same `TS|_|…` namespace as the offer of a person, so they never collide with
 * a flow's payloads; the topic is the rest of the payload, whatever characters it has.
 */
const RESUBSCRIBE_PREFIX = 'TS|_|_|subscribe|';
export const START_DECLINED_PAYLOAD = 'TS|_|_|no_thanks';
export const resubscribePayload = (topic: string): string => `${RESUBSCRIBE_PREFIX}${topic}`;
/** The topic of a START quick reply, or undefined for any other payload. */
export const resubscribeTopicOf = (payload: string): string | undefined =>
  payload.startsWith(RESUBSCRIBE_PREFIX) ? payload.slice(RESUBSCRIBE_PREFIX.length) : undefined;
