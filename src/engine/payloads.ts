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
