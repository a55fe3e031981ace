import { clip } from '../platform/sendApiSchema';
import { cardsFromData } from './dataCards';
import type { EngineEvent, RequestOutcome } from './engineEvent';
import { readJsonPath } from './jsonPath';
import { branchFor } from './requestBuild';
import type { RequestSpec } from './requestSchema';
import { enterNode, fillText, send, type Run } from './run';

/**
 * A flow's request while it is out, and its result (the `request_result` event, which comes back
 * through the user's own inbox lane, so it is ordered with whatever the user does meanwhile).
 *
 * The rules (docs/flows.md, "Requests"):
 * - a result is applied only while the user still waits for that id: a stale one (the user moved
 *   on), a duplicate (a replay), or one when nothing is out changes nothing;
 * - what moves the conversation (a global keyword, a tap that goes somewhere, a keyword trigger)
 *   works as usual and cancels the wait (entering a node forgets the request);
 * - anything else the user sends is not used: they are told once to wait (messages.request_wait);
 * - a wait past its request's timeout plus a margin (a lost requester) counts as timed out when
 *   the user next writes, so no one waits forever.
 */

export type RequestResult = Extract<EngineEvent, { type: 'request_result' }>;

/** The request node's spec as the flows now define it, or undefined when it is gone (an edit). */
function specOf(run: Run): RequestSpec | undefined {
  const r = run.state.request;
  return r ? run.flows.flows.get(r.flow)?.flow.nodes[r.node]?.request : undefined;
}

export function onRequestResult(run: Run, event: RequestResult): void {
  const r = run.state.request;
  if (!r || r.id !== event.id || run.state.thread !== 'bot') return;
  const spec = specOf(run);
  run.state.request = null;
  if (spec) applyOutcome(run, r.flow, spec, event.outcome, event.json);
}

/** Text or an attachment that moved nothing while a request is out. */
export function whileWaiting(run: Run): void {
  const r = run.state.request;
  if (!r) return;
  const spec = specOf(run);
  if (!spec) {
    run.state.request = null;
    return;
  }
  if (run.now >= r.dueAt) {
    run.state.request = null;
    return applyOutcome(run, r.flow, spec, 'timeout', undefined);
  }
  if (!r.waitSaid) {
    run.state.request = { ...r, waitSaid: true };
    send(run, { text: fillText(run, run.flows.settings.messages.request_wait) });
  }
  // A message turns Messenger's indicator off: show it again, the wait goes on.
  run.effects.push({ type: 'typing', ms: 0, request: r.id });
}

/** Longest text a `save` stores in a field, like a typed answer. */
const MAX_SAVED_TEXT = 2000;

function save(run: Run, spec: RequestSpec, json: unknown): void {
  for (const [field, path] of Object.entries(spec.save ?? {})) {
    const v = readJsonPath(json, path);
    if (typeof v === 'string') run.state.fields[field] = clip(v, MAX_SAVED_TEXT);
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') run.state.fields[field] = v;
    // Missing, null, an object or an array: the field is unset, so an older value never passes for this answer.
    else delete run.state.fields[field];
  }
}

function applyOutcome(run: Run, flow: string, spec: RequestSpec, outcome: RequestOutcome, json: unknown): void {
  if (outcome === 'ok') {
    save(run, spec, json);
    if (spec.cards) {
      const carousel = cardsFromData(spec.cards, json, { fields: run.state.fields, defaults: run.flows.settings.defaults });
      if (!carousel) return enterNode(run, flow, spec.cards.empty);
      send(run, carousel);
    }
  }
  const target = branchFor(spec, outcome);
  if (target !== undefined) return enterNode(run, flow, target);
  send(run, { text: fillText(run, run.flows.settings.messages.request_failed) });
}
