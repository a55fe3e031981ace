import { MESSAGING_WINDOW } from '../platform/messagingRules';
import type { Trigger } from './flowSchema';
import type { EngineEffect } from './effects';
import { isAdReferral, isConsentOnly, isReceipt, isThreadEvent, type EngineEvent } from './engineEvent';
import { controlAt, forEachControl, type ControlRef, type FlowSet } from './flowSet';
import { matchesKeyword, said, type Said } from './normalize';
import { GET_STARTED_PAYLOAD, OFFER_HUMAN_PAYLOAD, resolvePayload } from './payloads';
import { onAdminConsent, onMarketingOptin, onStart, onStartAnswer, onStop, silentStop } from './consentEvents';
import {
  askAgain,
  enterNode,
  fillText,
  newRun,
  openWindow,
  runActions,
  send,
  startHandover,
  stopSequence,
  type Run,
} from './run';
import { onReceipt, recordReferral, referralIn } from './referrals';
import { attributeAction, attributeReceipt, onBroadcast } from './broadcastEvents';
import { onSequenceTimer, SEQUENCE_TIMER_PREFIX, startSequence } from './sequenceEvents';
import { onThreadEvent, remember } from './threadEvents';
import { onRequestResult, whileWaiting } from './requestEvents';
import { onProductTap } from './productTaps';
import { onQuestion, onQuestionTap, unmatched } from './questionEvents';
import { askQuestionModel, onQuestionChoice } from './questionModel';
import { armDisclosure } from './disclosure';
import type { UserState } from './userState';
import { validateAnswer } from './validateAnswer';

export interface TransitionResult {
  readonly state: UserState;
  readonly effects: readonly EngineEffect[];
  /** Broadcast counters (broadcastStatField) to commit with the state; absent or empty: none. */
  readonly stats?: readonly string[];
}

function done(run: Run): TransitionResult {
  // Sequences the flow started (after its actions ran, so a stop in the same step wins).
  for (const id of run.sequenceStarts.splice(0)) startSequence(run, id);
  return run.stats.length > 0
    ? { state: run.state, effects: run.effects, stats: run.stats }
    : { state: run.state, effects: run.effects };
}

/** What the runtime learned from Meta's user profile before this event (see profileLookup). */
export type ProfileLookup =
  | { readonly ok: true; readonly first_name?: string; readonly locale?: string; readonly timezone?: number }
  | { readonly ok: false };

/**
 * The engine: (flows, state, event, now) → (next state, effects). Pure and deterministic: no I/O,
 * no clock, no randomness beyond what the inputs determine; the input state is never mutated.
 */

export function transition(
  flows: FlowSet,
  prior: UserState,
  event: EngineEvent,
  now: number,
  profile?: ProfileLookup,
): TransitionResult {
  if (event.type === 'none') return { state: prior, effects: [] };
  const run = newRun(flows, prior, now, 'cause' in event ? event.cause : undefined);
  const { state } = run;
  // Meta's receipts are not the customer's action: the watermark moves, nothing else (whoever owns the thread).
  if (isReceipt(event)) {
    onReceipt(run, event);
    attributeReceipt(run);
    return done(run);
  }
  // A broadcast is not the customer's action either: no window, no "seen".
  if (event.type === 'broadcast') {
    onBroadcast(run, event);
    return done(run);
  }
  // A sequence's step came due: decided whoever owns the thread (it waits while a person does).
  if (event.type === 'timer' && event.timer.startsWith(SEQUENCE_TIMER_PREFIX)) {
    onSequenceTimer(run, event.timer.slice(SEQUENCE_TIMER_PREFIX.length), event.id);
    return done(run);
  }
  // A flow's request answered: not the customer's action either (no window, no "seen").
  if (event.type === 'request_result') {
    onRequestResult(run, event);
    return done(run);
  }
  // The language model's choice among the questions (questionModel.ts): not the customer's action either.
  if (event.type === 'question_choice') {
    onQuestionChoice(run, event, () => fallback(run));
    return done(run);
  }
  if (isThreadEvent(event)) {
    onThreadEvent(run, event);
    return done(run);
  }
  // Consent changes whoever owns the thread. An admin's, and a stop or resume of marketing
  // messages in Messenger's own menu, are not messages to the bot: no window, no reply.
  if (event.type === 'admin_sequence') {
    if (event.action === 'start') startSequence(run, event.sequence);
    else if (event.sequence in state.sequences) stopSequence(run, event.sequence);
    return done(run);
  }
  if (event.type === 'admin_consent') {
    onAdminConsent(run, event);
    return done(run);
  }
  if (event.type === 'optin' && event.marketing) {
    onMarketingOptin(run, event.marketing);
    if (isConsentOnly(event)) return done(run);
  }
  if (profile) {
    state.profile = { ...profile, at: now };
    // The user's own answers win; the profile only fills a name they never gave.
    if (profile.ok && profile.first_name && state.fields.first_name === undefined) state.fields.first_name = profile.first_name;
  }
  // Where they came from, for audiences and statistics, whoever owns the thread.
  const referral = referralIn(event);
  if (referral) recordReferral(run, referral, event.at);
  const fromAd = ((event.type === 'referral' || event.type === 'payload') && event.fromAd === true) || isAdReferral(referral);
  const lastHeardAt = state.lastInboundAt; // before this event: how long the customer was silent
  openWindow(run, fromAd ? MESSAGING_WINDOW.adReferralMs : MESSAGING_WINDOW.standardMs, event.at);
  run.effects.push({ type: 'mark_seen' });
  if (event.type === 'text' || event.type === 'payload' || event.type === 'attachment')
    attributeAction(run, event.type === 'payload' ? event.payload : undefined);
  // The customer's recent words, so a person taking over (and the agents' notice) has context.
  if (event.type === 'text') remember(run, 'user', event.text);
  // While a person owns the thread (or an admin paused the bot) the bot stays silent; a STOP still counts.
  if (state.thread === 'bot') {
    armDisclosure(run, lastHeardAt);
    reconcileVersions(run);
    route(run, event);
  } else if (event.type === 'text') silentStop(run, event.text);
  return done(run);
}

/** After a flow file changed: keep users on nodes that still exist, else move them to the entry. */
function reconcileVersions(run: Run): void {
  const { state, flows } = run;
  if (state.position) {
    const loaded = flows.flows.get(state.position.flow);
    if (!loaded) state.position = null;
    else if (loaded.version !== state.position.version) {
      const node = loaded.flow.nodes[state.position.node] ? state.position.node : (loaded.flow.entry ?? loaded.flow.start);
      state.position = { flow: loaded.flow.id, version: loaded.version, node };
    }
  }
  const p = state.pending;
  if (p && !flows.flows.get(p.flow)?.flow.nodes[p.node]?.ask) state.pending = null;
  const r = state.request;
  if (r && !flows.flows.get(r.flow)?.flow.nodes[r.node]?.request) state.request = null;
}

function route(run: Run, event: Exclude<EngineEvent, { type: 'none' | 'request_result' | 'question_choice' }>): void {
  // Whatever the customer does next replaces a text still waiting for the language model's choice.
  run.state.questionCall = null;
  switch (event.type) {
    case 'reaction':
      return;
    case 'referral':
      if (!startByTrigger(run, (t) => 'ref' in t && t.ref === event.ref) && !run.state.position)
        startFlow(run, run.flows.defaultFlow);
      return;
    case 'optin':
      startByTrigger(run, (t) => 'optin' in t && (t.optin === true || t.optin === event.ref));
      return;
    case 'attachment':
      if (run.state.pending) return answer(run, '');
      return run.state.request ? whileWaiting(run) : fallback(run);
    case 'payload':
      return onPayload(run, event);
    case 'text':
      return onText(run, event.text);
  }
}

function onText(run: Run, text: string): void {
  const s = said(text);
  if (globalKeyword(run, s)) return;
  if (run.state.pending) return answer(run, text);
  if (typedOption(run, s)) return;
  const current = run.state.position?.flow;
  const heard = (t: Trigger) =>
    'keyword' in t &&
    (typeof t.keyword === 'string'
      ? matchesKeyword(s, t.keyword, t.match)
      : t.keyword.some((k) => matchesKeyword(s, k, t.match)));
  if (startByTrigger(run, heard, current)) return;
  // Nothing above moved the conversation: a request's result is still awaited (requestEvents.ts).
  if (run.state.request) return whileWaiting(run);
  // The flows' questions (questionEvents.ts); at a first contact only a sure answer beats the welcome.
  if (onQuestion(run, s, !run.state.position)) return;
  if (!run.state.position) return startFlow(run, run.flows.defaultFlow);
  // Nothing placed it: the language model may still choose a question, if one is configured.
  if (askQuestionModel(run, s)) return;
  fallback(run, s);
}

function onPayload(run: Run, event: Extract<EngineEvent, { type: 'payload' }>): void {
  const { payload } = event;
  if (payload === OFFER_HUMAN_PAYLOAD) return startHandover(run, 'fallback_offer');
  if (onStartAnswer(run, payload)) return;
  if (onProductTap(run, payload)) return;
  if (onQuestionTap(run, payload)) return;
  const ref = resolvePayload(run.flows, payload);
  if (ref && runControl(run, ref)) return;
  if (event.ref && startByTrigger(run, (t) => 'ref' in t && t.ref === event.ref)) return;
  if (
    startByTrigger(
      run,
      (t) => ('get_started' in t && payload === GET_STARTED_PAYLOAD) || ('postback' in t && t.postback === payload),
    )
  )
    return;
  if (payload === GET_STARTED_PAYLOAD) return startFlow(run, run.flows.defaultFlow);
  // An unknown or stale payload is read as what the user saw: the title (for Messenger's own
  // email/phone quick replies, that is the email or number itself).
  onText(run, event.text);
}

/**
 * People often type an option instead of tapping it: text equal to the title of a quick reply or
 * button the current node offered counts as the tap.
 */
function typedOption(run: Run, s: Said): boolean {
  const at = run.state.position;
  const loaded = at && run.flows.flows.get(at.flow);
  if (!at || !loaded) return false;
  let control: string | undefined;
  forEachControl(loaded.flow, at.node, (id, c) => {
    if (!control && !id.startsWith('a') && c.title !== undefined && matchesKeyword(s, c.title, 'exact')) control = id;
  });
  return control !== undefined && runControl(run, { flow: at.flow, node: at.node, control });
}

/** A tapped button / quick reply / choice. False when it no longer exists (flow changed). */
function runControl(run: Run, ref: ControlRef): boolean {
  const loaded = run.flows.flows.get(ref.flow);
  const node = loaded?.flow.nodes[ref.node];
  const control = loaded && controlAt(loaded.flow, ref.node, ref.control);
  if (!loaded || !node || !control) return false;
  run.state.misses = 0;
  const p = run.state.pending;
  if (ref.control.startsWith('a')) {
    // A choice only answers the question it belongs to while that question waits; a tap on an
    // old one is read as its title (so it may still match a keyword, or reach the fallback).
    const choice = node.ask?.choices?.[Number(ref.control.slice(1))];
    if (!choice || !p || p.flow !== ref.flow || p.node !== ref.node) return false;
    answer(run, choice.title);
    return true;
  }
  run.state.pending = null;
  const jump = runActions(run, ref.flow, ref.node, control.actions ?? []);
  const target = jump ?? control.goto;
  if (run.state.thread === 'bot' && target) enterNode(run, ref.flow, target);
  return true;
}

function answer(run: Run, input: string): void {
  const p = run.state.pending;
  const loaded = p && run.flows.flows.get(p.flow);
  const node = p && loaded?.flow.nodes[p.node];
  const ask = node?.ask;
  if (!p || !loaded || !node || !ask) return fallback(run);
  const outcome = validateAnswer(ask, input);
  if (outcome.ok) {
    run.state.fields[ask.into] = outcome.value;
    run.state.pending = null;
    run.state.misses = 0;
    const target = outcome.goto ?? ask.next ?? node.next;
    if (target) enterNode(run, p.flow, target);
    return;
  }
  const retries = p.retries + 1;
  if (retries <= ask.retries) {
    run.state.pending = { ...p, retries };
    return askAgain(run, p.flow, p.node, node);
  }
  run.state.pending = null;
  if (ask.on_fail) enterNode(run, p.flow, ask.on_fail);
  else startHandover(run, 'input_failed');
}

/** Global keywords work anywhere, even while a question is pending. */
function globalKeyword(run: Run, s: Said): boolean {
  const { keywords } = run.flows.settings;
  const is = (list: readonly string[]) => list.some((k) => matchesKeyword(s, k, 'exact'));
  const any = [keywords.human, keywords.stop, keywords.start, keywords.menu].some(is);
  // A global keyword also ends the wait for a request: its result, if it comes, is stale.
  if (any) run.state.request = null;
  if (is(keywords.human)) startHandover(run, 'keyword');
  else if (is(keywords.stop)) onStop(run);
  else if (is(keywords.start)) onStart(run);
  else if (is(keywords.menu)) {
    const loaded = run.flows.flows.get(run.flows.defaultFlow);
    startFlow(run, run.flows.defaultFlow, loaded?.flow.entry);
  } else return false;
  return true;
}

function startFlow(run: Run, flowId: string, node?: string): void {
  const loaded = run.flows.flows.get(flowId);
  if (!loaded) return;
  run.state.misses = 0;
  enterNode(run, flowId, node ?? loaded.flow.start);
}

/** Starts the first flow with a matching trigger, trying `preferred` (the current flow) first. */
function startByTrigger(run: Run, matches: (t: Trigger) => boolean, preferred?: string): boolean {
  const first = preferred ? run.flows.flows.get(preferred) : undefined;
  for (const { flow } of first ? [first, ...run.flows.flows.values()] : run.flows.flows.values()) {
    const trigger = flow.triggers.find(matches);
    if (trigger) {
      startFlow(run, flow.id, trigger.goto);
      return true;
    }
  }
  return false;
}

/** `heard`: the text that was not understood (absent for an attachment or a failed answer), counted by the runtime. */
function fallback(run: Run, heard?: Said): void {
  const { state, flows } = run;
  if (heard) unmatched(run, heard, 'fallback');
  const fb = flows.flows.get(state.position?.flow ?? flows.defaultFlow)?.flow.fallback;
  state.misses += 1;
  const text = fb?.text ?? "Sorry, I didn't get that.";
  if (!fb?.escalate_after || state.misses < fb.escalate_after) return void send(run, { text: fillText(run, text) });
  if (fb.escalate === 'handover') return startHandover(run, 'fallback');
  // Offer once per run of misunderstandings: the count starts again after the offer.
  state.misses = 0;
  const { offer_human, offer_human_button } = flows.settings.messages;
  const quick_replies = [{ content_type: 'text' as const, title: offer_human_button, payload: OFFER_HUMAN_PAYLOAD }];
  send(run, { text: fillText(run, `${text} ${offer_human}`), quick_replies });
}
