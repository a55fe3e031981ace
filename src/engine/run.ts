import { MESSAGING_WINDOW } from '../platform/messagingRules';
import { charCount, clip, LIMITS } from '../platform/sendApiSchema';
import type { Action, FlowNode } from './flowSchema';
import { afterHoursNextOpen } from './businessHours';
import { allHold } from './conditions';
import { appendConsent, deriveConsent, reconcileLedger } from './consentLedger';
import type { EngineEffect } from './effects';
import type { FlowSet } from './flowSet';
import { interpolate, type Scalar } from './interpolate';
import { reachNode } from './funnel';
import { renderMessage, renderQuestion, type RenderContext } from './render';
import { branchFor, buildRequest, buildWebhook, REQUEST_MARGIN_MS } from './requestBuild';
import type { RequestSpec, WebhookSpec } from './requestSchema';
import type { CatalogQuery } from './catalogQuery';
import { renderProducts } from './productCards';
import type { UserState } from './userState';

/**
 * One transition in progress: a private draft of the user's state plus the effects so far.
 * Everything here is synchronous and reads no clock; `now` is given.
 */
export interface Run {
  readonly flows: FlowSet;
  readonly now: number;
  readonly state: UserState;
  readonly effects: EngineEffect[];
  /** Broadcast counters this step adds (broadcastStatField), committed with the state. */
  readonly stats: string[];
  /** Sequences a flow action started in this step; transition starts them once the flow has run (sequenceEvents.ts). */
  readonly sequenceStarts: string[];
  readonly visited: Set<string>;
  messagesLeft: number;
  /** RESPONSE while answering what the user just did; UPDATE once nothing sent answers them (a resume). */
  messaging: 'RESPONSE' | 'UPDATE';
  /** The event this run reacts to, as the runtime names it (see EngineEvent's `cause`); kept in the consent ledger. */
  readonly cause?: string;
  /** The disclosure armed for this event (disclosure.ts): sent before its first message, then cleared. */
  disclosure?: string;
}

export function newRun(flows: FlowSet, prior: UserState, now: number, cause?: string): Run {
  // The engine replaces position, pending and every map entry rather than editing them in place,
  // so copying the containers is enough to leave `prior` untouched (a test holds it to that).
  const state: UserState = {
    ...prior,
    fields: { ...prior.fields },
    tags: [...prior.tags],
    consent: { ...prior.consent },
    marketingTokens: { ...prior.marketingTokens },
    ab: { ...prior.ab },
    sequences: { ...prior.sequences },
  };
  // transcript, threadLog and consentLedger are replaced, never edited, so sharing them with `prior` is safe.
  return {
    flows,
    now,
    state,
    effects: [],
    stats: [],
    sequenceStarts: [],
    visited: new Set(),
    messagesLeft: flows.settings.max_messages_per_event,
    messaging: 'RESPONSE',
    ...(cause === undefined ? {} : { cause }),
  };
}

const renderCtx = (run: Run, flow: string, node: string): RenderContext => ({
  flow,
  node,
  fields: run.state.fields,
  defaults: run.flows.settings.defaults,
});

/** A settings or fallback text, interpolated and clipped like any flow text; `extra` fills placeholders only this text has. */
export const fillText = (run: Run, template: string, extra: Readonly<Record<string, Scalar>> = {}): string =>
  clip(interpolate(template, { ...run.state.fields, ...extra }, run.flows.settings.defaults));

/** Queues a message unless the per-event cap is reached; false once the cap stops sending. */
export function send(
  run: Run,
  message: Extract<EngineEffect, { type: 'send' }>['message'],
  promotional = false,
  messaging: 'RESPONSE' | 'UPDATE' = run.messaging,
): boolean {
  if (run.messagesLeft <= 0) {
    if (!run.effects.some((e) => e.type === 'warning' && e.code === 'message_cap')) {
      run.effects.push({
        type: 'warning',
        code: 'message_cap',
        detail: `more than ${run.flows.settings.max_messages_per_event} messages for one event; the rest were dropped`,
      });
    }
    return false;
  }
  run.messagesLeft -= 1;
  run.effects.push({ type: 'send', message: discloseFirst(run, message, messaging), messaging, promotional });
  return true;
}

type Message = Extract<EngineEffect, { type: 'send' }>['message'];

/**
 * The disclosure armed for this event (disclosure.ts) comes before its first message, once: as its
 * first paragraph when that message is a text with room for it (no Send API call of its own),
 * else as a message of its own, outside the per-event cap (a flow cannot crowd it out). Only a
 * disclosure actually sent is remembered. Returns the message to send.
 */
function discloseFirst(run: Run, message: Message, messaging: 'RESPONSE' | 'UPDATE'): Message {
  const disclosure = run.disclosure;
  if (disclosure === undefined) return message;
  run.disclosure = undefined;
  run.state.disclosedAt = run.now;
  if ('text' in message) {
    const text = `${disclosure}\n\n${message.text}`;
    if (charCount(text) <= LIMITS.text) return { ...message, text };
  }
  run.effects.push({ type: 'send', message: { text: disclosure }, messaging, promotional: false });
  return message;
}

export function startHandover(run: Run, reason: string, message?: string): void {
  const { state } = run;
  const { messages, handover } = run.flows.settings;
  send(run, { text: fillText(run, message ?? messages.handover) });
  // Outside business hours, say when a person will answer rather than leave the customer waiting.
  const nextOpen = afterHoursNextOpen(handover.business_hours, run.now);
  if (nextOpen !== undefined) send(run, { text: fillText(run, messages.handover_after_hours, { next_open: nextOpen }) });
  const metadata = {
    reason,
    flow: state.position?.flow ?? null,
    node: state.position?.node ?? null,
    fields: { ...state.fields },
  };
  run.effects.push({ type: 'handover', reason, metadata, targetAppId: handover.app_id });
  run.effects.push({ type: 'notify', reason, text: `Customer asked for a person (${reason})` });
  moveThread(run, 'handing_over', reason);
}

const THREAD_LOG_SIZE = 20;

/** Records a thread event (a change, or a refused request) with time and cause, bounded. */
export function logThread(run: Run, cause: string, from: UserState['thread']): void {
  run.state.threadLog = [...run.state.threadLog, { at: run.now, from, to: run.state.thread, cause }].slice(-THREAD_LOG_SIZE);
}

/**
 * The customer acted at `actedAt` (Meta's time; `now` when unknown): their messaging window (24 h,
 * or 7 days after a click-to-Messenger ad) runs from then. A late-processed or replayed event
 * therefore cannot stretch the window, and a time in the future is read as now.
 */
export function openWindow(run: Run, windowMs: number = MESSAGING_WINDOW.standardMs, actedAt: number = run.now): void {
  const at = Math.min(actedAt, run.now);
  run.state.inbound += 1;
  run.state.lastInboundAt = Math.max(run.state.lastInboundAt ?? at, at);
  run.state.windowEndsAt = Math.max(run.state.windowEndsAt ?? 0, at + windowMs);
}

/** Changes who owns the thread, logging when and why (the handover state machine's one door). */
export function moveThread(run: Run, to: UserState['thread'], cause: string): void {
  const from = run.state.thread;
  if (from === to) return;
  run.state.thread = to;
  // A question asked before the change is never answered after it: whoever owns the thread now
  // did not ask it, and the bot starts afresh when it gets the thread back. Nor is a request's
  // result applied after it: the conversation moved on.
  run.state.pending = null;
  run.state.request = null;
  run.state.questionCall = null;
  logThread(run, cause, from);
  if (to === 'human' || to === 'handing_over') armHandoverTimer(run);
  else if (run.state.timer) {
    run.state.timer = null;
    run.effects.push({ type: 'cancel_timer', timer: 'handover_timeout' });
  }
}

/**
 * (Re)arms the inactivity timer while a person owns the thread: a new id each time, so a firing
 * of an older timer (postponed by activity) is recognised as stale and ignored.
 */
export function armHandoverTimer(run: Run): void {
  const minutes = run.flows.settings.handover_timeout_minutes;
  if (minutes <= 0) return;
  const timer = { id: `ht-${run.now}-${run.state.inbound}-${run.state.transcript.length}`, dueAt: run.now + minutes * 60_000 };
  run.state.timer = timer;
  run.effects.push({ type: 'schedule', timer: 'handover_timeout', id: timer.id, at: timer.dueAt });
}

/**
 * Records an opt-in or opt-out: appended to the ledger, the current consent derived from it, and
 * the runtime told (the one place all three happen). A repeat of the current consent from the same
 * source changes nothing and is not recorded again (a node that subscribes on every visit would
 * otherwise push the history out of the capped ledger).
 */
export function setConsent(run: Run, topic: string, subscribed: boolean, source: string): void {
  const { state } = run;
  const current = state.consent[topic];
  if (current && current.subscribed === subscribed && current.source === source) return;
  const entry = { at: run.now, topic, subscribed, source, ...(run.cause === undefined ? {} : { cause: run.cause }) };
  // A state built without decodeUserState may carry consent its ledger does not explain: keep it.
  state.consentLedger = appendConsent(reconcileLedger(state.consentLedger, state.consent), entry);
  state.consent = deriveConsent(state.consentLedger);
  run.effects.push({ type: 'consent', topic, subscribed, source });
  // A withdrawn topic ends the sequences that need it.
  if (!subscribed)
    for (const id of Object.keys(state.sequences)) if (run.flows.sequences.get(id)?.topic === topic) stopSequence(run, id);
}

/** Stops a running sequence (the sender disarms its step timer when it meets the effect). */
export function stopSequence(run: Run, sequence: string): void {
  delete run.state.sequences[sequence];
  run.sequenceStarts.splice(0, run.sequenceStarts.length, ...run.sequenceStarts.filter((s) => s !== sequence));
  run.effects.push({ type: 'sequence', action: 'stop', sequence });
}

/** Runs a node's or a control's actions; returns the last `goto` target, if any. */
export function runActions(run: Run, flow: string, node: string, actions: readonly Action[]): string | undefined {
  const { state } = run;
  const source = `flow:${flow}/${node}`;
  let jump: string | undefined;
  for (const a of actions) {
    if ('set' in a)
      for (const [k, v] of Object.entries(a.set))
        state.fields[k] = typeof v === 'string' ? interpolate(v, state.fields, run.flows.settings.defaults) : v;
    else if ('increment' in a) {
      const { field, by } = typeof a.increment === 'string' ? { field: a.increment, by: 1 } : a.increment;
      const current = Number(state.fields[field] ?? 0);
      state.fields[field] = (Number.isFinite(current) ? current : 0) + by;
    } else if ('unset' in a) for (const f of [a.unset].flat()) delete state.fields[f];
    else if ('tag' in a) state.tags = [...new Set([...state.tags, ...[a.tag].flat()])];
    else if ('untag' in a) state.tags = state.tags.filter((t) => ![a.untag].flat().includes(t));
    else if ('subscribe' in a) setConsent(run, a.subscribe, true, source);
    else if ('unsubscribe' in a) setConsent(run, a.unsubscribe, false, source);
    else if ('start_sequence' in a) run.sequenceStarts.push(a.start_sequence);
    else if ('stop_sequence' in a) stopSequence(run, a.stop_sequence);
    else if ('handover' in a) startHandover(run, a.handover.reason);
    else if ('webhook' in a) sendWebhook(run, flow, node, a.webhook);
    else if ('notify' in a)
      run.effects.push({
        type: 'notify',
        reason: 'flow',
        text: interpolate(a.notify, state.fields, run.flows.settings.defaults),
      });
    else jump = a.goto;
    if (state.thread !== 'bot') return undefined;
  }
  return jump;
}

/** The next id for a request or webhook: unique for the user, derived from the inputs (no randomness). */
export function callId(run: Run, kind: 'rq' | 'wh' | 'qm'): string {
  run.state.calls += 1;
  return `${kind}-${run.now.toString(36)}-${run.state.calls}`;
}

const fillContext = (run: Run) => ({ fields: run.state.fields, defaults: run.flows.settings.defaults });

/** A `webhook` action: fire and forget (the requester retries it; the conversation goes on). */
function sendWebhook(run: Run, flow: string, node: string, spec: WebhookSpec): void {
  const built = buildWebhook(spec, callId(run, 'wh'), `${flow}/${node}`, fillContext(run));
  // Only an unusable URL or an oversized body fail here; the linter refuses the first.
  if (built.ok) run.effects.push(built.effect);
}

/**
 * A node's `request`: the call goes out as an effect and the user waits for its result (see
 * requestEvents.ts). The typing indicator has no pause (ms 0): the sender must not hold the
 * user's lane for a time nobody knows; it shows until the result's first message. Returns the
 * node to go to now when the request cannot even be made (its failed branch), else undefined.
 */
function startRequest(run: Run, flow: string, version: string, nodeId: string, spec: RequestSpec): string | undefined {
  const id = callId(run, 'rq');
  const built = buildRequest(spec, id, `${flow}/${nodeId}`, run.flows.settings.requests.timeout_ms, fillContext(run));
  if (!built.ok) {
    const target = branchFor(spec, 'failed');
    if (target === undefined) send(run, { text: fillText(run, run.flows.settings.messages.request_failed) });
    return target;
  }
  run.effects.push({ type: 'typing', ms: 0, request: id });
  run.effects.push(built.effect);
  const dueAt = run.now + built.effect.timeoutMs + REQUEST_MARGIN_MS;
  run.state.request = { id, flow, version, node: nodeId, startedAt: run.now, dueAt, waitSaid: false };
  return undefined;
}

/** Sticky weighted choice: the first assignment is derived from the inputs and then stored. */
function randomized(run: Run, key: string, options: NonNullable<FlowNode['randomize']>): string | undefined {
  const kept = run.state.ab[key];
  if (kept && options.some((o) => o.goto === kept)) return kept;
  let h = 0x811c9dc5;
  for (const ch of `${key}|${run.now}|${run.state.inbound}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const total = options.reduce((s, o) => s + o.weight, 0);
  let pick = (h / 0x100000000) * total;
  const chosen = options.find((o) => (pick -= o.weight) < 0) ?? options[options.length - 1];
  if (chosen) run.state.ab[key] = chosen.goto;
  return chosen?.goto;
}

function say(run: Run, flow: string, nodeId: string, node: FlowNode): boolean {
  for (const [i, spec] of (node.say ?? []).entries()) {
    if ('typing' in spec) {
      run.effects.push({ type: 'typing', ms: spec.typing });
      continue;
    }
    const message = renderMessage(renderCtx(run, flow, nodeId), spec, i);
    if (message && !send(run, message, spec.promotional === true)) return false;
  }
  return true;
}

/**
 * A node's `products` carousel, after its `say`. Returns the node to go to when nothing matched
 * and `empty.goto` names one, false when the message cap stopped sending.
 */
function showProducts(run: Run, flow: string, nodeId: string, query: CatalogQuery): string | undefined | false {
  const out = renderProducts(run.flows, { flow, node: nodeId }, query, run.state.fields);
  if (out.kind === 'cards') return send(run, out.message) ? undefined : false;
  if (query.empty?.text !== undefined && !send(run, { text: fillText(run, query.empty.text) })) return false;
  return query.empty?.goto;
}

/** What a node does after speaking: the next node to enter now, or undefined to wait. */
function afterSay(run: Run, flow: string, nodeId: string, node: FlowNode, version: string): string | undefined {
  if (node.request) return startRequest(run, flow, version, nodeId, node.request);
  if (node.ask) {
    // Wait for an answer only to a question the user actually got (the cap may have dropped it).
    if (send(run, renderQuestion(renderCtx(run, flow, nodeId), node.ask, false)))
      run.state.pending = { flow, version, node: nodeId, retries: 0 };
    return undefined;
  }
  if (node.branch) {
    for (const b of node.branch) if ('else' in b || allHold(b.if, run.state, run.now)) return 'else' in b ? b.else : b.goto;
    return undefined;
  }
  if (node.randomize) return randomized(run, `${flow}:${nodeId}`, node.randomize);
  if (node.handover) {
    startHandover(run, node.handover.reason, node.handover.message);
    return undefined;
  }
  return node.next;
}

/**
 * Enters a node and follows `next`/branches/jumps until the flow waits for the user. A node seen
 * twice in one event is a cycle that would send forever: stop there (the linter flags it first).
 */
export function enterNode(run: Run, flow: string, nodeId: string): void {
  const loaded = run.flows.flows.get(flow);
  let current: string | undefined = nodeId;
  while (current && loaded) {
    const key = `${flow}:${current}`;
    if (run.visited.has(key)) {
      run.effects.push({ type: 'warning', code: 'cycle', detail: `node ${key} reached twice in one event; stopped` });
      return;
    }
    run.visited.add(key);
    const node: FlowNode | undefined = loaded.flow.nodes[current];
    if (!node) {
      run.effects.push({ type: 'warning', code: 'missing_node', detail: `no node ${key}` });
      return;
    }
    run.state.position = { flow, version: loaded.version, node: current };
    run.state.pending = null;
    run.state.request = null;
    reachNode(run, flow, current);
    const jump = runActions(run, flow, current, node.actions ?? []);
    if (run.state.thread !== 'bot' || !say(run, flow, current, node)) return;
    const shown: string | undefined | false = node.products ? showProducts(run, flow, current, node.products) : undefined;
    if (shown === false) return;
    current = jump ?? shown ?? afterSay(run, flow, current, node, loaded.version);
  }
}

export function askAgain(run: Run, flow: string, nodeId: string, node: FlowNode): void {
  if (node.ask) send(run, renderQuestion(renderCtx(run, flow, nodeId), node.ask, true));
}
