import { z } from 'zod';

/**
 * The consent ledger: every opt-in and opt-out of a user, per topic, in the order they happened.
 * `state.consent` (what the send policy and the audience read) is derived from it by
 * deriveConsent and written in the same commit as the rest of the state, so the two never disagree.
 */
export const consentEntrySchema = z.object({
  at: z.number(),
  topic: z.string(),
  subscribed: z.boolean(),
  /**
   * `flow:<flow>/<node>`, `keyword:stop`, `keyword:start`, `messenger:optin`, `messenger:optout`,
   * `admin:<token name>` (consent recorded before the ledger existed keeps its old source, cause `migrated`).
   */
  source: z.string(),
  /** What caused it: the event's dedupe key (`mid:<message id>` for a message) or `request:<admin request id>`. */
  cause: z.string().optional(),
});
export type ConsentEntry = z.infer<typeof consentEntrySchema>;

export const consentSchema = z.record(z.string(), z.object({ subscribed: z.boolean(), at: z.number(), source: z.string() }));
export type Consent = z.infer<typeof consentSchema>;

/**
 * Most entries kept per user. Beyond it the oldest go, except the latest entry of each topic
 * (the current consent is derived from those, so capping never changes it).
 */
export const CONSENT_LEDGER_CAP = 500;

/** The current consent per topic: the latest entry of each topic, in ledger order. */
export function deriveConsent(ledger: readonly ConsentEntry[]): Consent {
  const consent: Consent = {};
  for (const e of ledger) consent[e.topic] = { subscribed: e.subscribed, at: e.at, source: e.source };
  return consent;
}

/** The ledger with `entry` appended, capped (see CONSENT_LEDGER_CAP). Never edits `ledger`. */
export function appendConsent(ledger: readonly ConsentEntry[], entry: ConsentEntry, cap = CONSENT_LEDGER_CAP): ConsentEntry[] {
  const next = [...ledger, entry];
  if (next.length <= cap) return next;
  const latest = new Map<string, number>();
  next.forEach((e, i) => latest.set(e.topic, i));
  const keepLatest = new Set(latest.values());
  // Drop the oldest entries that a later entry of the same topic supersedes, until within the cap.
  let excess = next.length - cap;
  return next.filter((_, i) => {
    if (excess > 0 && !keepLatest.has(i)) {
      excess -= 1;
      return false;
    }
    return true;
  });
}

const sameConsent = (a: Consent[string] | undefined, b: Consent[string] | undefined): boolean =>
  a !== undefined && b !== undefined && a.subscribed === b.subscribed && a.at === b.at && a.source === b.source;

/**
 * A ledger that accounts for `consent`. States written before the ledger existed (or by an older
 * release during a rolling deploy, which drops the fields it does not know) carry consent the
 * ledger does not explain: each such topic gets one entry with the stored time and source, cause
 * `migrated`, so deriving never loses a consent. The same ledger when nothing is missing.
 */
export function reconcileLedger(ledger: readonly ConsentEntry[], consent: Consent): readonly ConsentEntry[] {
  const derived = deriveConsent(ledger);
  let out: readonly ConsentEntry[] = ledger;
  for (const [topic, c] of Object.entries(consent).sort((a, b) => a[1].at - b[1].at)) {
    if (!sameConsent(derived[topic], c)) out = appendConsent(out, { ...c, topic, cause: 'migrated' });
  }
  return out;
}

/** Source kind for metrics: the part before the colon (flow, keyword, messenger, admin), bounded. */
export function sourceKind(source: string): 'flow' | 'keyword' | 'messenger' | 'admin' | 'other' {
  const kind = source.split(':', 1)[0];
  return kind === 'flow' || kind === 'keyword' || kind === 'messenger' || kind === 'admin' ? kind : 'other';
}
