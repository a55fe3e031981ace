import { HANDOVER_OUTCOMES, type EngineEvent, type HandoverOutcome } from '../engine/engineEvent';
import { clip, LIMITS } from '../platform/sendApiSchema';
import type { MessengerEvent } from '../store/messengerEvent';

/*
 * The runtime's translation from what arrives in a user's lane (Meta's events and the ones
 * Talkshop writes itself) into what the engine reacts to, so the engine never sees the store's shapes.
 */

const isOutcome = (v: unknown): v is HandoverOutcome => HANDOVER_OUTCOMES.some((o) => o === v);

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/**
 * Most characters of a person's text the engine and the transcript get. Only the webhook's body limit
 * bounds what arrives (a megabyte), and every keyword, validator and flow pattern runs over the text;
 * Messenger's own limit for a text message is the natural bound: nothing longer can be echoed back or
 * shown to an agent in one message, and no answer or keyword needs more. Longer text is cut, marked
 * with an ellipsis.
 */
export const TEXT_CAP = LIMITS.text;

/** A person's text, cut to TEXT_CAP characters. Cheap for the common case; `clip` counts characters. */
const capped = (v: unknown): string => {
  const s = str(v);
  // Any TEXT_CAP characters take at most 2 × TEXT_CAP code units; looking further is wasted work.
  return s.length <= TEXT_CAP ? s : clip(s.slice(0, 2 * TEXT_CAP + 2), TEXT_CAP);
};
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
  // When the customer acted, by Meta's clock: their messaging window runs from then.
  const at = e.timestamp;
  if (e.kind === 'echo') {
    const m = obj(raw.message);
    // Our own sends echo back with our app id; anything else was written by a person.
    return str(m.app_id) !== '' && str(m.app_id) === ourAppId
      ? { type: 'none' }
      : { type: 'agent_message', text: capped(m.text) };
  }
  if (e.channel === 'standby') {
    const m = obj(raw.message);
    return e.kind === 'message' || e.kind === 'quick_reply'
      ? { type: 'standby_message', text: capped(m.text), sentAt: e.timestamp }
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
      return typeof m.text === 'string' ? { type: 'text', text: capped(m.text), at } : { type: 'attachment', at };
    }
    case 'quick_reply': {
      const m = obj(raw.message);
      return { type: 'payload', payload: str(obj(m.quick_reply).payload), text: capped(m.text), at };
    }
    case 'postback': {
      const p = obj(raw.postback);
      // A Get Started tap that came through an m.me link or ad carries the ref inside the postback.
      const referral = referralOf(p.referral);
      return { type: 'payload', payload: str(p.payload), text: capped(p.title), ...(referral?.ref ? referral : {}), at };
    }
    case 'referral': {
      const referral = referralOf(raw.referral);
      return referral ? { type: 'referral', ...referral, at } : { type: 'none' };
    }
    case 'optin': {
      const o = obj(raw.optin);
      return { type: 'optin', ref: str(o.payload) || str(o.ref), at };
    }
    case 'reaction':
      return { type: 'reaction', at };
    default:
      return { type: 'none' };
  }
}
