import { DAY_MS, MESSAGING_WINDOW } from '../platform/messagingRules';
import type { SendMessage } from '../platform/sendApiSchema';
import {
  broadcastStatField,
  type BroadcastCounter,
  type BroadcastMark,
  type BroadcastSend,
  type BroadcastSkipReason,
} from './broadcastSend';
import type { BroadcastDue } from './engineEvent';
import { renderMessage } from './render';
import { enterNode, send, type Run } from './run';
import { BROADCAST_HISTORY, PROACTIVE_HISTORY, type ReceivedBroadcast } from './userState';

/*
 * Broadcasts in the user's lane: whether this user gets it (their state at this moment: consent,
 * window, thread owner, caps), once per broadcast, and what they did after it (receipts, taps,
 * replies), each counted once. Part of the pure engine: the counters go out with the commit.
 */

/** A tap on a broadcast's button or quick reply this long after it is its click. */
export const CLICK_WINDOW_MS = 7 * DAY_MS;
/** A message of the user's this long after a broadcast is a reply to it. */
export const REPLY_WINDOW_MS = DAY_MS;
const WEEK_MS = 7 * DAY_MS;

/** Counts one of a broadcast's counters in this step's commit. */
export const count = (run: Run, id: string, counter: BroadcastCounter): void => {
  run.stats.push(broadcastStatField(id, counter));
};

export function windowOpen(run: Run): boolean {
  const { windowEndsAt, lastInboundAt } = run.state;
  const end = windowEndsAt ?? (lastInboundAt === null ? null : lastInboundAt + MESSAGING_WINDOW.standardMs);
  return end !== null && run.now < end;
}

function capped(run: Run, caps: BroadcastSend['caps']): boolean {
  const sent = run.state.proactive;
  const since = (ms: number) => sent.filter((t) => t > run.now - ms).length;
  return (
    (caps.perDay !== undefined && since(DAY_MS) >= caps.perDay) || (caps.perWeek !== undefined && since(WEEK_MS) >= caps.perWeek)
  );
}

/**
 * Why this user may not get a proactive message of this kind now (broadcasts and sequence steps
 * alike), or undefined: they may. First rule that applies wins.
 */
export function policySkip(run: Run, b: Pick<BroadcastSend, 'kind' | 'topic' | 'caps'>): BroadcastSkipReason | undefined {
  const { state } = run;
  if (state.thread !== 'bot') return 'human_owns_thread';
  if (b.topic !== undefined && state.consent[b.topic]?.subscribed !== true) return 'no_consent';
  if (b.kind === 'marketing_message') {
    const token = b.topic === undefined ? undefined : state.marketingTokens[b.topic];
    if (!token || token.status !== 'active' || (token.expiresAt !== null && token.expiresAt <= run.now)) return 'no_token';
  }
  // Promotional content goes only inside the window; a tagged update goes either way (the sender
  // uses its tag outside), a marketing message through its own API.
  if (b.kind === 'promotional' && !windowOpen(run)) return 'outside_window';
  if (capped(run, b.caps)) return 'capped';
  return undefined;
}

/** Why this user does not get the broadcast now, or undefined: they do. */
function skipReason(run: Run, event: BroadcastDue): BroadcastSkipReason | undefined {
  const b = event.send;
  if (b === null || event.cancelled) return 'cancelled';
  return policySkip(run, b);
}

/** The postback and quick-reply payloads of a message: what a tap on it sends back. */
function payloadsOf(message: SendMessage): string[] {
  const out: string[] = [];
  for (const q of message.quick_replies ?? []) if ('payload' in q && typeof q.payload === 'string') out.push(q.payload);
  if ('attachment' in message && message.attachment.type === 'template') {
    const p = message.attachment.payload;
    const buttons = [
      ...('buttons' in p ? p.buttons : []),
      ...('elements' in p ? p.elements.flatMap((e) => e.buttons ?? []) : []),
    ];
    for (const b of buttons) if (b.type === 'postback') out.push(b.payload);
  }
  return out;
}

/**
 * Queues the broadcast's messages (or starts its flow node) as UPDATE sends marked with the
 * broadcast (or sequence step: `source`), and returns the payloads they carry.
 */
export function queueProactive(run: Run, b: BroadcastSend, test: boolean, source?: 'sequence'): string[] {
  const first = run.effects.length;
  run.messaging = 'UPDATE';
  if (b.messages) {
    const ctx = { flow: '_broadcast', node: b.id, fields: run.state.fields, defaults: run.flows.settings.defaults };
    for (const [i, spec] of b.messages.entries()) {
      const message = renderMessage(ctx, spec, i);
      if (message && !send(run, message)) break;
    }
  } else if (b.start) enterNode(run, b.start.flow, b.start.node);
  const mark: BroadcastMark = {
    id: b.id,
    kind: b.kind,
    ...(b.tag ? { tag: b.tag } : {}),
    ...(b.topic ? { topic: b.topic } : {}),
    ...(test ? { test: true } : {}),
    ...(source ? { source } : {}),
  };
  const payloads: string[] = [];
  for (let i = first; i < run.effects.length; i++) {
    const e = run.effects[i];
    if (e?.type !== 'send') continue;
    // A promotional broadcast is promotional throughout (the sender holds it to the window); a
    // tagged update never is (the linter warns about offers in one); a marketing message goes
    // through its own API.
    run.effects[i] = { ...e, promotional: b.kind === 'promotional', broadcast: mark };
    payloads.push(...payloadsOf(e.message));
  }
  return payloads;
}

export function remember(run: Run, entry: ReceivedBroadcast): void {
  run.state.broadcasts = [...run.state.broadcasts, entry].slice(-BROADCAST_HISTORY);
}

/** A broadcast reached the user's lane: send it (once per user), or skip it with a reason. */
export function onBroadcast(run: Run, event: BroadcastDue): void {
  const { state } = run;
  if (event.test) {
    if (event.send && !event.cancelled) queueProactive(run, event.send, true);
    return;
  }
  if (state.broadcasts.some((b) => b.id === event.id)) {
    count(run, event.id, 'repeat');
    return;
  }
  count(run, event.id, 'targeted');
  const reason = skipReason(run, event);
  const base = { id: event.id, at: run.now, payloads: [], delivered: false, read: false, clicked: false, replied: false };
  if (reason !== undefined || event.send === null) {
    remember(run, { ...base, outcome: 'skipped' });
    count(run, event.id, `skipped:${reason ?? 'cancelled'}`);
    return;
  }
  const payloads = queueProactive(run, event.send, false);
  remember(run, { ...base, outcome: 'queued', payloads: [...new Set(payloads)] });
  noteProactive(run);
  count(run, event.id, 'queued');
}

/** Records a proactive message queued now, for the per-day and per-week caps. */
export function noteProactive(run: Run): void {
  run.state.proactive = [...run.state.proactive.filter((t) => t > run.now - WEEK_MS), run.now].slice(-PROACTIVE_HISTORY);
}

/** Updates the broadcasts the user was sent, counting each change once. */
function update(run: Run, change: (b: ReceivedBroadcast) => Partial<ReceivedBroadcast> | undefined): void {
  let changed = false;
  const next = run.state.broadcasts.map((b) => {
    if (b.outcome !== 'queued') return b;
    const patch = change(b);
    if (!patch) return b;
    changed = true;
    return { ...b, ...patch };
  });
  if (changed) run.state.broadcasts = next;
}

/**
 * After the watermarks moved: a queued broadcast counts as delivered (read) once a watermark
 * reaches the moment it was queued. Meta's watermark covers every message sent up to it, and the
 * broadcast's messages are sent after that moment, so this counts a broadcast no earlier than a
 * message of its own could have been delivered.
 */
export function attributeReceipt(run: Run): void {
  const { deliveredUpTo, readUpTo } = run.state.delivery;
  update(run, (b) => {
    const delivered = !b.delivered && deliveredUpTo !== null && deliveredUpTo >= b.at;
    const read = !b.read && readUpTo !== null && readUpTo >= b.at;
    if (delivered || read) {
      if (delivered || (read && !b.delivered)) count(run, b.id, 'delivered');
      if (read) count(run, b.id, 'read');
      return { delivered: true, read: b.read || read };
    }
    return undefined;
  });
}

/** The user acted (a message, a tap): a reply to broadcasts of the last day; a tap on one's payload is its click. */
export function attributeAction(run: Run, payload: string | undefined): void {
  // The latest broadcast carrying the payload gets the click (two may share a button).
  const clicked =
    payload === undefined
      ? undefined
      : [...run.state.broadcasts]
          .reverse()
          .find((b) => b.outcome === 'queued' && !b.clicked && run.now - b.at <= CLICK_WINDOW_MS && b.payloads.includes(payload));
  update(run, (b) => {
    const replied = !b.replied && run.now - b.at <= REPLY_WINDOW_MS && run.now >= b.at;
    const click = b === clicked;
    if (replied) count(run, b.id, 'replied');
    if (click) count(run, b.id, 'clicked');
    return replied || click ? { replied: b.replied || replied, clicked: b.clicked || click } : undefined;
  });
}
