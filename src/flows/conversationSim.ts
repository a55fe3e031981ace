import type { CommentLaneState } from '../engine/commentEvents';
import type { EngineEffect } from '../engine/effects';
import type { EngineEvent, RequestOutcome } from '../engine/engineEvent';
import type { FlowSet } from '../engine/flowSet';
import { transition, type ProfileLookup } from '../engine/transition';
import type { UserState } from '../engine/userState';
import type { SendMessage } from '../platform/sendApiSchema';
import type { RequestStubSpec } from './flowTestSchema';

/**
 * One customer's conversation with the real engine, with the runtime's part played in memory: the
 * sender's handover reports, the timers, and the flows' API calls answered by the test's stubs. No
 * store, no network, no clock: time moves only when the test says.
 */

/** Follow-up events one customer action may cause (request results, handover reports) before it is a loop. */
const MAX_FOLLOW_UPS = 20;
/** Timers one wait may fire (a sequence's steps, a handover timeout). */
const MAX_TIMER_FIRINGS = 100;

export interface Sim {
  readonly flows: FlowSet;
  state: UserState;
  now: number;
  /** Armed timers by the user's slot: handover_timeout, sequence:<id>. */
  readonly timers: Map<string, { readonly id: string; readonly at: number }>;
  readonly stubs: Array<RequestStubSpec & { used: boolean }>;
  /** The messages the bot sent last: what a `tap` looks in. */
  offered: readonly SendMessage[];
  /** The lane of the customer's comments (production keys it by their feed id, apart from their conversation). */
  commentLane: CommentLaneState;
}

/** One line of a failure's diff: unchanged, expected (-) or what the bot did (+). */
export interface DiffLine {
  readonly sign: ' ' | '-' | '+';
  readonly text: string;
}

/** What one turn made happen. `entered`: the nodes each transition went through, in order, as flow/node. */
export interface TurnOutput {
  readonly sends: SendMessage[];
  readonly handovers: string[];
  readonly entered: string[][];
  readonly requests: Array<{ readonly name: string; readonly outcome: RequestOutcome }>;
  readonly errors: string[];
  /** Public replies under a comment. */
  readonly publicReplies: string[];
  /** Why a comment got no private reply, in words (commentTurn.ts). */
  readonly ignored: string[];
}

export const newOutput = (): TurnOutput => ({
  sends: [],
  handovers: [],
  entered: [],
  requests: [],
  errors: [],
  publicReplies: [],
  ignored: [],
});

/** A duration in words: "2 hours", "90 minutes", "45 seconds". */
export function spoken(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  const [size, name] = units.find(([u]) => ms % u === 0 && ms >= u) ?? [1_000, 'second'];
  const n = Math.round(ms / size);
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}

/** `*` in a stub's URL matches any characters; everything else literally. */
const urlMatches = (pattern: string, url: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(url);

function stubFor(sim: Sim, name: string, url: string): (RequestStubSpec & { used: boolean }) | undefined {
  return sim.stubs.find((s) => !(s.once && s.used) && (s.node !== undefined ? s.node === name : urlMatches(s.url ?? '', url)));
}

/** The runtime's answer to an effect: follow-up events for the engine, and the turn's record. */
function react(sim: Sim, e: EngineEffect, out: TurnOutput): EngineEvent[] {
  switch (e.type) {
    case 'send':
      out.sends.push(e.message);
      return [];
    case 'handover':
      // The sender passes (or takes) thread control and reports how it went; here it always works.
      if (e.take) return [{ type: 'handover_result', outcome: 'taken', at: sim.now }];
      out.handovers.push(e.reason);
      return [{ type: 'handover_result', outcome: 'passed', at: sim.now }];
    case 'schedule':
      sim.timers.set(e.timer, { id: e.id, at: e.at });
      return [];
    case 'cancel_timer':
      sim.timers.delete(e.timer);
      return [];
    case 'sequence_timer':
      sim.timers.set(`sequence:${e.sequence}`, { id: e.id, at: e.at });
      return [];
    case 'sequence':
      if (e.action === 'stop') sim.timers.delete(`sequence:${e.sequence}`);
      return [];
    case 'request':
      return answer(sim, e, out);
    case 'warning':
      out.errors.push(`the engine warned (${e.code}): ${e.detail}`);
      return [];
    default:
      return [];
  }
}

function answer(sim: Sim, e: Extract<EngineEffect, { type: 'request' }>, out: TurnOutput): EngineEvent[] {
  const stub = stubFor(sim, e.name, e.url);
  if (!stub) {
    out.errors.push(`${e.name} called ${e.method} ${e.url} and no stub answers it: add one under requests: (node: ${e.name})`);
    return [];
  }
  stub.used = true;
  out.requests.push({ name: e.name, outcome: stub.outcome });
  return [
    {
      type: 'request_result',
      id: e.id,
      outcome: stub.outcome,
      ...(stub.status === undefined ? {} : { status: stub.status }),
      ...(stub.json === undefined ? {} : { json: stub.json }),
    },
  ];
}

/**
 * Feeds one event and every follow-up it causes. The funnel's record of nodes reached today is
 * cleared before each transition, so afterwards it lists exactly the nodes this one entered.
 */
export function step(sim: Sim, first: EngineEvent, out: TurnOutput, profile?: ProfileLookup): void {
  const queue: EngineEvent[] = [first];
  for (let n = 0; queue.length > 0; n++) {
    const event = queue.shift();
    if (!event) break;
    if (n > MAX_FOLLOW_UPS) {
      out.errors.push(`more than ${MAX_FOLLOW_UPS} follow-up events for one action: a loop of requests?`);
      return;
    }
    const r = transition(sim.flows, { ...sim.state, reached: null }, event, sim.now + n, n === 0 ? profile : undefined);
    sim.state = r.state;
    out.entered.push(r.state.reached?.nodes ?? []);
    for (const e of r.effects) queue.push(...react(sim, e, out));
  }
}

/** Time passes: every timer due by then fires at its time, in order. */
export function wait(sim: Sim, ms: number, out: TurnOutput): void {
  const end = sim.now + ms;
  for (let fired = 0; fired < MAX_TIMER_FIRINGS; fired++) {
    const due = [...sim.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
    if (!due) break;
    const [timer, { id, at }] = due;
    sim.timers.delete(timer);
    sim.now = Math.max(sim.now, at);
    step(sim, { type: 'timer', timer, id }, out);
  }
  sim.now = end;
}
