import type { MessengerEvent } from '../webhook/messengerEvent';

/** What the engine reacts to, distilled from a Messenger event. */
export type EngineEvent =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'payload';
      readonly payload: string;
      readonly text: string;
      readonly ref?: string;
      readonly fromAd?: boolean;
    }
  | { readonly type: 'attachment' }
  | { readonly type: 'referral'; readonly ref: string; readonly fromAd: boolean }
  | { readonly type: 'optin'; readonly ref: string }
  | { readonly type: 'reaction' }
  /** The customer wrote while another app (the Page Inbox) owns the thread: record, do not answer. `sentAt`: Meta's time. */
  | { readonly type: 'standby_message'; readonly text: string; readonly sentAt: number }
  /** A person (Page Inbox, another app, or no app) wrote to the customer: an echo not from us. */
  | { readonly type: 'agent_message'; readonly text: string }
  /** Thread control was passed to us (the person pressed Done, or another app handed back), at Meta's time `at`. */
  | { readonly type: 'control_returned'; readonly at: number }
  /** Another app took thread control from us. */
  | { readonly type: 'control_taken' }
  /** A timer armed earlier came due (stale ones are recognised by their id). */
  | { readonly type: 'timer'; readonly timer: string; readonly id: string }
  /** Admin API commands, applied in the user's lane like everything else. */
  | { readonly type: 'admin_pause' }
  | { readonly type: 'admin_resume' }
  | { readonly type: 'agent_reply'; readonly text: string }
  /** An alert for a staff member who is also a Messenger user of the Page (NOTIFY_ADMIN_PSIDS). */
  | { readonly type: 'staff_notice'; readonly text: string }
  /** Another app asks us for thread control. */
  | { readonly type: 'control_requested'; readonly appId: string }
  /**
   * The sender's report on a thread-control call, made at `at`: our pass to the Page Inbox went
   * through or was refused (a Conversation Routing page); our take went through or was refused.
   */
  | { readonly type: 'handover_result'; readonly outcome: HandoverOutcome; readonly at: number }
  | { readonly type: 'none' };

export const HANDOVER_OUTCOMES = ['passed', 'handover_disabled', 'taken', 'take_failed'] as const;
export type HandoverOutcome = (typeof HANDOVER_OUTCOMES)[number];
const isOutcome = (v: unknown): v is HandoverOutcome => HANDOVER_OUTCOMES.some((o) => o === v);

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

function referralOf(raw: unknown): { ref: string; fromAd: boolean } | undefined {
  const r = obj(raw);
  if (Object.keys(r).length === 0) return undefined;
  return { ref: str(r.ref), fromAd: str(r.source) === 'ADS' || r.ad_id !== undefined };
}

/**
 * Reads the parts of a Messenger event the engine uses. Events on `standby` and echoes never
 * drive a flow (someone else owns the thread, or it is our own message); they map to `none` here
 * and the handover logic reads them separately.
 */
export function toEngineEvent(e: MessengerEvent, ourAppId?: string): EngineEvent {
  const raw = e.raw;
  if (e.kind === 'echo') {
    const m = obj(raw.message);
    // Our own sends echo back with our app id; anything else was written by a person.
    return str(m.app_id) !== '' && str(m.app_id) === ourAppId ? { type: 'none' } : { type: 'agent_message', text: str(m.text) };
  }
  if (e.channel === 'standby') {
    const m = obj(raw.message);
    return e.kind === 'message' || e.kind === 'quick_reply'
      ? { type: 'standby_message', text: str(m.text), sentAt: e.timestamp }
      : { type: 'none' };
  }
  switch (e.kind) {
    case 'pass_thread_control':
      return { type: 'control_returned', at: e.timestamp };
    case 'take_thread_control':
      return { type: 'control_taken' };
    case 'request_thread_control':
      return { type: 'control_requested', appId: str(obj(raw.request_thread_control).requested_owner_app_id) };
    case 'timer_fired':
      return { type: 'timer', timer: str(raw.timer), id: str(raw.id) };
    case 'admin_command': {
      const command = str(raw.command);
      if (command === 'pause') return { type: 'admin_pause' };
      if (command === 'resume') return { type: 'admin_resume' };
      if (command === 'notice') return { type: 'staff_notice', text: str(raw.text) };
      return command === 'reply' ? { type: 'agent_reply', text: str(raw.text) } : { type: 'none' };
    }
    case 'handover_result':
      return isOutcome(raw.outcome) ? { type: 'handover_result', outcome: raw.outcome, at: e.timestamp } : { type: 'none' };
    case 'message': {
      const m = obj(raw.message);
      return typeof m.text === 'string' ? { type: 'text', text: m.text } : { type: 'attachment' };
    }
    case 'quick_reply': {
      const m = obj(raw.message);
      return { type: 'payload', payload: str(obj(m.quick_reply).payload), text: str(m.text) };
    }
    case 'postback': {
      const p = obj(raw.postback);
      // A Get Started tap that came through an m.me link or ad carries the ref inside the postback.
      const referral = referralOf(p.referral);
      return { type: 'payload', payload: str(p.payload), text: str(p.title), ...(referral?.ref ? referral : {}) };
    }
    case 'referral': {
      const referral = referralOf(raw.referral);
      return referral ? { type: 'referral', ...referral } : { type: 'none' };
    }
    case 'optin': {
      const o = obj(raw.optin);
      return { type: 'optin', ref: str(o.payload) || str(o.ref) };
    }
    case 'reaction':
      return { type: 'reaction' };
    default:
      return { type: 'none' };
  }
}

/** Events about who owns the thread, or someone else's message: no flow runs for them. */
export type ThreadEvent = Extract<
  EngineEvent,
  {
    type:
      | 'standby_message'
      | 'agent_message'
      | 'control_returned'
      | 'control_taken'
      | 'control_requested'
      | 'handover_result'
      | 'admin_pause'
      | 'admin_resume'
      | 'agent_reply'
      | 'staff_notice'
      | 'timer';
  }
>;
const THREAD_EVENTS: ReadonlySet<EngineEvent['type']> = new Set([
  'standby_message',
  'agent_message',
  'control_returned',
  'control_taken',
  'control_requested',
  'handover_result',
  'admin_pause',
  'admin_resume',
  'agent_reply',
  'staff_notice',
  'timer',
]);
export const isThreadEvent = (e: EngineEvent): e is ThreadEvent => THREAD_EVENTS.has(e.type);
