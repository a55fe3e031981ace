import type { Trigger } from '../flows/flowSchema';
import type { EngineEffect } from './effects';
import { isThreadEvent, type EngineEvent, type ThreadEvent } from './engineEvent';
import { controlAt, forEachControl, type ControlRef, type FlowSet } from './flowSet';
import { matchesKeyword, said, type Said } from './normalize';
import { GET_STARTED_PAYLOAD, OFFER_HUMAN_PAYLOAD, resolvePayload } from './payloads';
import { clip } from './render';
import { resumeConversation } from './resume';
import { armHandoverTimer, askAgain, enterNode, fillText, logThread, moveThread, newRun, runActions, send, startHandover, type Run } from './run';
import type { UserState } from './userState';
import { validateAnswer } from './validateAnswer';

export interface TransitionResult {
  readonly state: UserState;
  readonly effects: readonly EngineEffect[];
}

const HOUR = 3600 * 1000;

/**
 * The engine: (flows, state, event, now) → (next state, effects). Pure and deterministic: no I/O,
 * no clock, no randomness beyond what the inputs determine; the input state is never mutated.
 */
/** What the runtime learned from Meta's user profile before this event (see profileLookup). */
export type ProfileLookup = { readonly ok: true; readonly first_name?: string; readonly locale?: string; readonly timezone?: number } | { readonly ok: false };

export function transition(flows: FlowSet, prior: UserState, event: EngineEvent, now: number, profile?: ProfileLookup): TransitionResult {
  if (event.type === 'none') return { state: prior, effects: [] };
  const run = newRun(flows, prior, now);
  const { state } = run;
  if (isThreadEvent(event)) {
    onThreadEvent(run, event);
    return { state, effects: run.effects };
  }
  if (profile) {
    state.profile = { ...profile, at: now };
    // The user's own answers win; the profile only fills a name they never gave.
    if (profile.ok && profile.first_name && state.fields.first_name === undefined) state.fields.first_name = profile.first_name;
  }
  const fromAd = (event.type === 'referral' || event.type === 'payload') && event.fromAd === true;
  state.inbound += 1;
  state.lastInboundAt = now;
  state.windowEndsAt = Math.max(state.windowEndsAt ?? 0, now + (fromAd ? 7 * 24 : 24) * HOUR);
  run.effects.push({ type: 'mark_seen' });
  // The customer's recent words, so a person taking over (and the agents' notice) has context.
  if (event.type === 'text') remember(run, 'user', event.text);
  // While a person owns the thread (or an admin paused the bot) the bot stays silent.
  if (state.thread === 'bot') {
    reconcileVersions(run);
    route(run, event);
  }
  return { state, effects: run.effects };
}

/** What a person sees of the conversation while they own it. */
const TRANSCRIPT_SIZE = 50;
/**
 * While the bot owns the thread only the last few lines are kept: enough context for a person
 * taking over (and the agents' notice), without every message of every customer making each
 * state write heavier (it is rewritten on every event) or keeping texts nobody reads.
 */
const CONTEXT_SIZE = 5;

function remember(run: Run, from: 'user' | 'agent', text: string): void {
  const size = run.state.thread === 'bot' ? CONTEXT_SIZE : TRANSCRIPT_SIZE;
  if (text) run.state.transcript = [...run.state.transcript, { at: run.now, from, text }].slice(-size);
}

function openWindow(run: Run): void {
  run.state.inbound += 1;
  run.state.lastInboundAt = run.now;
  run.state.windowEndsAt = Math.max(run.state.windowEndsAt ?? 0, run.now + 24 * HOUR);
}

/**
 * Who owns the thread, as Meta and the people in the Page Inbox tell us. No flow runs here: while a
 * person owns the thread the bot records and stays silent; when control comes back it says so.
 */
function onThreadEvent(run: Run, e: ThreadEvent): void {
  const { state } = run;
  switch (e.type) {
    case 'standby_message':
      // The customer wrote while another app owns the thread: keep the window and the transcript.
      openWindow(run);
      remember(run, 'user', e.text);
      // On standby while we think the bot owns the thread: someone else has it (a routing page, a
      // missed take), unless it is late news, written before we got the thread back.
      if (state.thread === 'handing_over' || (state.thread === 'bot' && !lateNews(state, e.sentAt))) moveThread(run, 'human', 'standby_message');
      else if (state.thread === 'human') armHandoverTimer(run); // the conversation is alive: postpone
      return;
    case 'agent_message':
      remember(run, 'agent', e.text);
      // A person typed in the Page Inbox without a handover: the bot steps back so the two never talk over each other.
      if (state.thread === 'bot' && run.flows.settings.pause_on_agent_reply) moveThread(run, 'paused', 'agent_replied');
      else if (state.thread === 'handing_over') moveThread(run, 'human', 'agent_replied');
      else if (state.thread === 'human') armHandoverTimer(run);
      state.pending = null;
      return;
    case 'control_taken':
      moveThread(run, 'human', 'control_taken');
      state.pending = null;
      return;
    case 'control_requested':
      // By default grant only while the bot is idle in its flow: never in the middle of a question.
      if (state.thread !== 'bot' || !e.appId || !grants(run.flows.settings.handover.grant_requests, state)) {
        logThread(run, `request_refused:${e.appId}`, state.thread);
        return;
      }
      run.effects.push({ type: 'handover', reason: 'requested_by_app', targetAppId: e.appId, metadata: { reason: 'requested_by_app', flow: state.position?.flow ?? null, node: state.position?.node ?? null } });
      moveThread(run, 'human', `granted_request:${e.appId}`);
      return;
    case 'handover_result':
      if (e.outcome === 'taken' || e.outcome === 'take_failed') {
        // From now on a standby message is news again (someone else took the thread).
        if (state.takePending) Object.assign(state, { takePending: false, controlSince: e.at });
        return;
      }
      if (state.thread !== 'handing_over') return;
      if (e.outcome === 'passed') return moveThread(run, 'human', 'passed_to_inbox');
      // Conversation Routing page: no handover API. The bot pauses itself (same silence); the
      // people were already notified when the customer asked, so they answer in the Page Inbox.
      moveThread(run, 'paused', 'handover_disabled');
      return;
    case 'admin_pause':
      moveThread(run, 'paused', 'admin_pause');
      state.pending = null;
      return;
    case 'agent_reply':
      remember(run, 'agent', e.text);
      // A person answering through the admin API takes the conversation, like one in the Page Inbox.
      if (state.thread === 'bot' && run.flows.settings.pause_on_agent_reply) moveThread(run, 'paused', 'agent_replied');
      run.effects.push({ type: 'send', message: { text: clip(e.text) }, messaging: 'UPDATE', promotional: false, byHumanAgent: true });
      return;
    case 'timer':
      // Only the timer armed last counts, and only while a person still owns the thread.
      if (e.timer !== 'handover_timeout' || state.timer?.id !== e.id || (state.thread !== 'human' && state.thread !== 'handing_over')) return;
      takeBack(run, 'inactivity_timeout');
      return welcomeBack(run, 'inactivity_timeout');
    case 'staff_notice':
      // Not the staff member's own action (no window change). Silent while their own thread is
      // with a person, like any other send; the send policy drops it outside their 24 h window.
      if (state.thread === 'bot') send(run, { text: clip(e.text) }, false, 'UPDATE');
      return;
    case 'admin_resume':
      // From a person (not from a pause) the bot must ask Meta for the thread first.
      if (state.thread === 'human' || state.thread === 'handing_over') takeBack(run, 'admin_resume');
      if (state.thread !== 'bot') welcomeBack(run, e.type);
      return;
    case 'control_returned':
      Object.assign(state, { takePending: false, controlSince: e.at });
      if (state.thread !== 'bot') welcomeBack(run, e.type);
      return;
  }
}

const grants = (policy: 'when_idle' | 'always' | 'never', state: UserState): boolean => policy === 'always' || (policy === 'when_idle' && state.pending === null);

/** Asks Meta for the thread back; the sender reports when that is done (handover_result). */
function takeBack(run: Run, reason: string): void {
  run.effects.push({ type: 'handover', take: true, reason, metadata: { reason } });
  run.state.takePending = true;
}

/** A standby message written before the thread came back to us (or while our take is under way). */
const lateNews = (state: UserState, sentAt: number): boolean => state.takePending || (state.controlSince !== null && sentAt <= state.controlSince);

/** The bot owns the thread again: say so (automated), then continue (resume_at, or the default flow's entry). */
function welcomeBack(run: Run, cause: string): void {
  const { state } = run;
  moveThread(run, 'bot', cause);
  state.pending = null;
  state.misses = 0;
  // The user did not just write: the welcome-back and whatever resume_at's node says are UPDATEs.
  run.messaging = 'UPDATE';
  send(run, { text: fillText(run, run.flows.settings.messages.welcome_back) });
  resumeConversation(run);
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
}

function route(run: Run, event: Exclude<EngineEvent, { type: 'none' }>): void {
  switch (event.type) {
    case 'reaction':
      return;
    case 'referral':
      if (!startByTrigger(run, (t) => 'ref' in t && t.ref === event.ref) && !run.state.position) startFlow(run, run.flows.defaultFlow);
      return;
    case 'optin':
      startByTrigger(run, (t) => 'optin' in t && (t.optin === true || t.optin === event.ref));
      return;
    case 'attachment':
      return run.state.pending ? answer(run, '') : fallback(run);
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
    'keyword' in t && (typeof t.keyword === 'string' ? matchesKeyword(s, t.keyword, t.match) : t.keyword.some((k) => matchesKeyword(s, k, t.match)));
  if (startByTrigger(run, heard, current)) return;
  if (!run.state.position) return startFlow(run, run.flows.defaultFlow);
  fallback(run);
}

function onPayload(run: Run, event: Extract<EngineEvent, { type: 'payload' }>): void {
  const { payload } = event;
  if (payload === OFFER_HUMAN_PAYLOAD) return startHandover(run, 'fallback_offer');
  const ref = resolvePayload(run.flows, payload);
  if (ref && runControl(run, ref)) return;
  if (event.ref && startByTrigger(run, (t) => 'ref' in t && t.ref === event.ref)) return;
  if (startByTrigger(run, (t) => ('get_started' in t && payload === GET_STARTED_PAYLOAD) || ('postback' in t && t.postback === payload))) return;
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
  const { keywords, messages, topic } = run.flows.settings;
  const is = (list: readonly string[]) => list.some((k) => matchesKeyword(s, k, 'exact'));
  if (is(keywords.human)) startHandover(run, 'keyword');
  else if (is(keywords.stop)) {
    run.state.pending = null;
    run.state.consent[topic] = { subscribed: false, at: run.now, source: 'keyword' };
    run.effects.push({ type: 'consent', topic, subscribed: false, source: 'keyword' });
    send(run, { text: fillText(run, messages.stopped) });
  } else if (is(keywords.start)) {
    run.state.consent[topic] = { subscribed: true, at: run.now, source: 'keyword' };
    run.effects.push({ type: 'consent', topic, subscribed: true, source: 'keyword' });
    send(run, { text: fillText(run, messages.started) });
  } else if (is(keywords.menu)) {
    const loaded = run.flows.flows.get(run.flows.defaultFlow);
    startFlow(run, run.flows.defaultFlow, loaded?.flow.entry);
  }
  else return false;
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

function fallback(run: Run): void {
  const { state, flows } = run;
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
