import type { MessengerEvent } from '../webhook/messengerEvent';

/** What the engine reacts to, distilled from a Messenger event. */
export type EngineEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'payload'; readonly payload: string; readonly text: string; readonly ref?: string; readonly fromAd?: boolean }
  | { readonly type: 'attachment' }
  | { readonly type: 'referral'; readonly ref: string; readonly fromAd: boolean }
  | { readonly type: 'optin'; readonly ref: string }
  | { readonly type: 'reaction' }
  | { readonly type: 'none' };

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
export function toEngineEvent(e: MessengerEvent): EngineEvent {
  if (e.channel === 'standby') return { type: 'none' };
  const raw = e.raw;
  switch (e.kind) {
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

/** Events that are the customer's own action and so open or refresh the messaging window. */
export const isUserAction = (e: EngineEvent): boolean => e.type !== 'none';
