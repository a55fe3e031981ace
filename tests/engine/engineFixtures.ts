import { buildFlowSet, type FlowSet, type LoadedFlow } from '../../src/engine/flowSet';
import { flowSchema, settingsSchema } from '../../src/engine/flowSchema';
import { sequenceSchema } from '../../src/engine/sequenceSchema';
import type { MessengerEvent } from '../../src/store/messengerEvent';
import type { EffectOf, EngineEffect } from '../../src/engine/effects';
import type { EngineEvent } from '../../src/engine/engineEvent';
import { transition } from '../../src/engine/transition';
import type { UserState } from '../../src/engine/userState';

/**
 * Builds a FlowSet from plain objects, as the loader would from YAML. The bot's disclosure (on by
 * default in settings.yaml) is off unless `settings` sets `disclosure`: these tests count a flow's
 * own messages; tests/engine/disclosure.test.ts covers the disclosure.
 */
export function flowSet(
  flows: ReadonlyArray<Record<string, unknown>>,
  settings: Record<string, unknown> = {},
  version = 'v1',
  sequences: ReadonlyArray<Record<string, unknown>> = [],
): FlowSet {
  const loaded: LoadedFlow[] = flows.map((f) => ({ flow: flowSchema.parse(f), version, file: `${String(f.id)}.yaml` }));
  return buildFlowSet(
    loaded,
    settingsSchema.parse({ disclosure: { enabled: false }, ...settings }),
    sequences.map((q) => sequenceSchema.parse(q)),
  );
}

/** A one-step sequence on `topic` (a message a day after the subscription). */
export const oneStepSequence = (id: string, topic = 'offers'): Record<string, unknown> => ({
  id,
  name: id,
  topic,
  steps: [{ id: 'tip-1', delay: '1d', kind: 'promotional', messages: [{ text: `${id} tip` }] }],
});

export const T0 = Date.UTC(2026, 10, 23, 15, 0, 0); // Monday 2026-11-23 15:00 UTC
export const HOUR = 3600_000;

export const text = (t: string) => ({ type: 'text', text: t }) as const;
export const tap = (payload: string, title = '') => ({ type: 'payload', payload, text: title }) as const;

/** A Messenger event as the webhook would store it, for the handler-level tests. */
export function messengerText(userId: string, t: string, n: number): MessengerEvent {
  return {
    kind: 'message',
    channel: 'messaging',
    pageId: 'p',
    userId,
    timestamp: T0 + n,
    dedupeKey: `mid:${n}`,
    raw: { message: { mid: `${n}`, text: t } },
  };
}

/** A requester's answer to the request effect with this id (the stub conversation tests feed the engine). */
export const requestResult = (
  id: string,
  outcome: 'ok' | 'not_found' | 'failed' | 'timeout',
  json?: unknown,
  status?: number,
): EngineEvent => ({
  type: 'request_result',
  id,
  outcome,
  ...(status === undefined ? {} : { status }),
  ...(json === undefined ? {} : { json }),
});

/** The `request` effects among a transition's effects (a flow makes at most one per event). */
export const requestsIn = (effects: readonly EngineEffect[]): Array<EffectOf<'request'>> =>
  effects.filter((e): e is EffectOf<'request'> => e.type === 'request');

/** The texts the bot sends in these effects (text messages and button templates). */
export const textsIn = (effects: readonly EngineEffect[]): string[] =>
  effects.flatMap((e) => {
    if (e.type !== 'send') return [];
    const m = e.message;
    if ('text' in m) return [m.text];
    const p = m.attachment.payload;
    return 'template_type' in p && p.template_type === 'button' ? [p.text] : [];
  });

/** A stubbed API: the answer a request would get (no network in flow tests). */
export type RequestStub = (req: EffectOf<'request'>) => {
  readonly outcome: 'ok' | 'not_found' | 'failed' | 'timeout';
  readonly json?: unknown;
  readonly status?: number;
};

/**
 * Feeds `event`, then answers each request it makes with `stub`, through the engine as the
 * runtime would (a `request_result` in the user's lane), until no request is out. Returns the
 * final state and every effect, in order.
 */
export function withStubbedRequests(
  flows: FlowSet,
  state: UserState,
  event: EngineEvent,
  now: number,
  stub: RequestStub,
): { state: UserState; effects: EngineEffect[] } {
  let r = transition(flows, state, event, now);
  const effects = [...r.effects];
  for (let i = 0; i < 10; i++) {
    const [req] = requestsIn(r.effects);
    if (!req) break;
    const answer = stub(req);
    r = transition(flows, r.state, requestResult(req.id, answer.outcome, answer.json, answer.status), now + i + 1);
    effects.push(...r.effects);
  }
  return { state: r.state, effects };
}
