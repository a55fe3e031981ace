import type { EngineEvent, ReceiptEvent, Referral } from './engineEvent';
import type { Run } from './run';
import { REFERRAL_HISTORY } from './userState';

/*
 * What the state must know for audiences and broadcast statistics, beyond the conversation: where
 * the customer came from (referrals) and how far Meta says our messages got (receipts). Part of the
 * pure engine; neither sends anything nor runs a flow.
 */

/**
 * The referral an event carries. Events made by hand (tests, older callers) may give only the
 * `ref`/`fromAd` the triggers read: a referral event is one all the same.
 */
export function referralIn(event: EngineEvent): Referral | undefined {
  if ('referral' in event && event.referral) return event.referral;
  if (event.type === 'referral' || (event.type === 'payload' && event.ref))
    return { ref: event.ref || null, source: event.fromAd === true ? 'ADS' : 'UNKNOWN', adId: null };
  return undefined;
}

/** Records a referral as the latest, and in the bounded history. `at`: Meta's time, never after now. */
export function recordReferral(run: Run, referral: Referral, at: number = run.now): void {
  const record = { ref: referral.ref, source: referral.source, adId: referral.adId, at: Math.min(at, run.now) };
  run.state.referral = record;
  run.state.referrals = [...run.state.referrals, record].slice(-REFERRAL_HISTORY);
}

/**
 * Moves the delivery or read watermark forward (a late or redelivered receipt never moves it back).
 * A read implies delivery. Capped at `now`: a receipt cannot vouch for messages we have not sent
 * yet, so a clock ahead of ours never marks a later broadcast delivered.
 */
export function onReceipt(run: Run, event: ReceiptEvent): void {
  const mark = Math.min(event.watermark, run.now);
  const { deliveredUpTo, readUpTo } = run.state.delivery;
  const later = (prior: number | null) => (prior === null ? mark : Math.max(prior, mark));
  run.state.delivery =
    event.type === 'read'
      ? { deliveredUpTo: later(deliveredUpTo), readUpTo: later(readUpTo) }
      : { deliveredUpTo: later(deliveredUpTo), readUpTo };
}
