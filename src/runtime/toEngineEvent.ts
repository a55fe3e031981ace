import {
  HANDOVER_OUTCOMES,
  isAdReferral,
  questionChoiceSchema,
  requestResultSchema,
  type EngineEvent,
  type HandoverOutcome,
  type MarketingOptin,
  type Referral,
} from '../engine/engineEvent';
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

/**
 * Longest ref, source and ad id the state keeps. Meta caps an m.me ref well below this; anything
 * longer is not a ref a flow or an audience names, and every state write carries it.
 */
const REFERRAL_TEXT_CAP = 256;
const short = (v: unknown): string => clip(str(v), REFERRAL_TEXT_CAP);

/** Meta's `referral` object (a referral event, `postback.referral`, `message.referral`), or none. */
function referralOf(raw: unknown): Referral | undefined {
  const r = obj(raw);
  if (Object.keys(r).length === 0) return undefined;
  return { ref: short(r.ref) || null, source: short(r.source).toUpperCase() || 'UNKNOWN', adId: short(r.ad_id) || null };
}

/** What the triggers read of a referral (`ref`, '' for none) and whether it came from an ad, with the whole of it. */
const triggerFields = (r: Referral) => ({ ref: r.ref ?? '', fromAd: isAdReferral(r), referral: r });

/** Meta's receipt watermark (ms, or s in some payloads), or undefined when there is none to read. */
const watermarkOf = (raw: unknown): number | undefined => msOf(obj(raw).watermark);

/** Meta sends the expiry in seconds in its samples and in ms in some payloads: read both as ms. */
const msOf = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n < 1e12 ? n * 1000 : n;
};

/** A Marketing Messages opt-in (`optin.type: notification_messages`): subscribe, stop or resume. */
function marketingOptinOf(o: Record<string, unknown>): MarketingOptin {
  const status = str(o.notification_messages_status).toUpperCase();
  const token = str(o.notification_messages_token);
  const expiresAt = msOf(o.token_expiry_timestamp);
  return {
    status: status === 'STOP NOTIFICATIONS' ? 'stop' : status === 'RESUME NOTIFICATIONS' ? 'resume' : 'optin',
    topic: str(o.payload) || str(o.title),
    ...(token ? { token } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(o.talkshop_synced === true ? { synced: true } : {}),
  };
}

/** A delivery or read receipt with its watermark; undefined for anything else (or one without a watermark). */
function receiptOf(e: MessengerEvent): EngineEvent | undefined {
  if (e.kind !== 'delivery' && e.kind !== 'read') return undefined;
  // `mids` (deliveries only, optional) name messages sent before the watermark: it says it all.
  const watermark = watermarkOf(e.kind === 'delivery' ? e.raw.delivery : e.raw.read);
  return watermark === undefined ? undefined : { type: e.kind === 'delivery' ? 'delivered' : 'read', watermark };
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
    // A person stopping marketing messages while the Page Inbox owns the thread still counts.
    const o = obj(raw.optin);
    if (e.kind === 'optin' && o.type === 'notification_messages')
      return { type: 'optin', ref: '', marketing: marketingOptinOf(o), standby: true, at, cause: e.dedupeKey };
    // Receipts on standby still say how far our messages got; they change nothing about the thread.
    const receipt = receiptOf(e);
    if (receipt) return receipt;
    const m = obj(raw.message);
    const referral = referralOf(e.kind === 'referral' ? raw.referral : m.referral);
    // An m.me link or ad opened while a person has the thread: recorded like a message on standby (no text).
    if (e.kind === 'message' || e.kind === 'quick_reply' || (e.kind === 'referral' && referral))
      return {
        type: 'standby_message',
        text: capped(m.text),
        sentAt: e.timestamp,
        cause: e.dedupeKey,
        ...(referral ? { referral } : {}),
      };
    return { type: 'none' };
  }
  // Named in the consent ledger when the event changes consent: stable across Meta's redeliveries.
  const cause = e.dedupeKey;
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
      if (command === 'consent')
        return typeof raw.subscribed === 'boolean' && str(raw.topic) !== ''
          ? {
              type: 'admin_consent',
              topic: str(raw.topic),
              subscribed: raw.subscribed,
              by: str(raw.by) || 'unknown',
              cause: str(raw.requestId) ? `request:${str(raw.requestId)}` : cause,
            }
          : { type: 'none' };
      if (command === 'sequence')
        return str(raw.sequence) !== '' && (raw.action === 'start' || raw.action === 'stop')
          ? { type: 'admin_sequence', sequence: str(raw.sequence), action: raw.action, by: str(raw.by) || 'unknown' }
          : { type: 'none' };
      return command === 'reply' ? { type: 'agent_reply', text: str(raw.text) } : { type: 'none' };
    }
    case 'handover_result':
      return isOutcome(raw.outcome) ? { type: 'handover_result', outcome: raw.outcome, at: e.timestamp } : { type: 'none' };
    case 'request_result': {
      const parsed = requestResultSchema.safeParse({ ...raw, type: 'request_result' });
      return parsed.success ? parsed.data : { type: 'none' };
    }
    case 'question_choice': {
      const parsed = questionChoiceSchema.safeParse({ ...raw, type: 'question_choice' });
      return parsed.success ? parsed.data : { type: 'none' };
    }
    case 'message': {
      const m = obj(raw.message);
      // The first message after a click-to-Messenger ad carries the ad's referral.
      const referral = referralOf(m.referral);
      const acted = { at, cause, ...(referral ? { referral } : {}) };
      return typeof m.text === 'string' ? { type: 'text', text: capped(m.text), ...acted } : { type: 'attachment', ...acted };
    }
    case 'quick_reply': {
      const m = obj(raw.message);
      const referral = referralOf(m.referral);
      return {
        type: 'payload',
        payload: str(obj(m.quick_reply).payload),
        text: capped(m.text),
        at,
        cause,
        ...(referral ? { referral } : {}),
      };
    }
    case 'postback': {
      const p = obj(raw.postback);
      // A Get Started tap that came through an m.me link or ad carries the ref inside the postback.
      const referral = referralOf(p.referral);
      return {
        type: 'payload',
        payload: str(p.payload),
        text: capped(p.title),
        ...(referral ? triggerFields(referral) : {}),
        at,
        cause,
      };
    }
    case 'referral': {
      const referral = referralOf(raw.referral);
      return referral ? { type: 'referral', ...triggerFields(referral), at, cause } : { type: 'none' };
    }
    case 'delivery':
    case 'read':
      return receiptOf(e) ?? { type: 'none' };
    case 'optin': {
      const o = obj(raw.optin);
      const marketing = o.type === 'notification_messages' ? marketingOptinOf(o) : undefined;
      return { type: 'optin', ref: str(o.payload) || str(o.ref), at, cause, ...(marketing ? { marketing } : {}) };
    }
    case 'reaction':
      return { type: 'reaction', at, cause };
    default:
      return { type: 'none' };
  }
}
