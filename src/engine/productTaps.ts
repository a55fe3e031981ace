import { parseProductPayload } from './productCards';
import { enterNode, type Run } from './run';

/**
 * A tap on a product card's `goto` button (a node's `products`, see productCards.ts): the product's
 * id goes into the button's `into` field, then the flow goes to the button's node. False when the
 * payload is not such a tap, or its node or button no longer exists (the tap is then read as text).
 */
export function onProductTap(run: Run, payload: string): boolean {
  const tap = parseProductPayload(payload);
  const button = tap && run.flows.flows.get(tap.flow)?.flow.nodes[tap.node]?.products?.buttons?.[tap.button];
  if (!tap || !button || !('goto' in button)) return false;
  run.state.misses = 0;
  run.state.pending = null;
  run.state.fields[button.into] = tap.productId;
  enterNode(run, tap.flow, button.goto);
  return true;
}
