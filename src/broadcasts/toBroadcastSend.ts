import type { BroadcastSend } from '../engine/broadcastSend';
import type { Settings } from '../engine/flowSchema';
import type { Broadcast } from './broadcastSchema';

/**
 * What the engine needs of a checked definition for one user's lane: the kind's rules, the
 * content, and the caps (the broadcast's own, else the settings' proactive_caps).
 */
export function toBroadcastSend(b: Broadcast, settings: Pick<Settings, 'proactive_caps'>): BroadcastSend {
  const perDay = b.caps?.per_day ?? settings.proactive_caps.per_day;
  const perWeek = b.caps?.per_week ?? settings.proactive_caps.per_week;
  const [flow, node] = b.start?.split('/') ?? [];
  return {
    id: b.id,
    kind: b.kind,
    ...(b.kind === 'tagged' ? { tag: b.tag } : {}),
    ...(b.topic === undefined ? {} : { topic: b.topic }),
    ...(b.messages ? { messages: b.messages } : {}),
    ...(flow && node ? { start: { flow, node } } : {}),
    caps: { ...(perDay === undefined ? {} : { perDay }), ...(perWeek === undefined ? {} : { perWeek }) },
  };
}
