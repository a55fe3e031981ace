import { EFFECT_FORMAT, EFFECT_TYPES, engineEffectSchema, type EngineEffect } from '../engine/effects';
import type { StoredEffect } from '../store/ports';

/**
 * An outbox entry's effect as the sender reads it:
 * - `effect`: a kind and format this code knows, with the engine's own type;
 * - `unknown`: written by a newer Talkshop (a kind this code does not know, or a later format):
 *   left in place for a worker that knows it;
 * - `corrupt`: a known kind (or none at all) whose shape is wrong: no release can deliver it.
 */
export type DecodedEffect =
  | { readonly type: 'effect'; readonly effect: EngineEffect }
  | { readonly type: 'unknown'; readonly reason: 'kind' | 'version'; readonly detail: string }
  | { readonly type: 'corrupt'; readonly kind: string; readonly detail: string };

/** How the worker commits an effect: this code's format version around the engine's JSON. */
export const encodeEffect = (effect: EngineEffect): StoredEffect => ({ v: EFFECT_FORMAT, body: effect });

const kindOf = (body: unknown): unknown => (typeof body === 'object' && body !== null && 'type' in body ? body.type : undefined);

export function decodeEffect(stored: StoredEffect): DecodedEffect {
  if (stored.v > EFFECT_FORMAT) return { type: 'unknown', reason: 'version', detail: `format ${stored.v}` };
  const kind = kindOf(stored.body);
  if (typeof kind !== 'string') return { type: 'corrupt', kind: 'unreadable', detail: 'no effect type' };
  if (!EFFECT_TYPES.has(kind)) return { type: 'unknown', reason: 'kind', detail: kind };
  const parsed = engineEffectSchema.safeParse(stored.body);
  if (parsed.success) return { type: 'effect', effect: parsed.data };
  return { type: 'corrupt', kind, detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
