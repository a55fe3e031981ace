import type { AudienceCard } from './audienceCard';
import type { AudienceFilter, Condition } from './audienceFilter';

const HOUR_MS = 3_600_000;
type Scalar = string | number | boolean;

/** Equal as stored or as written: a `--where` value is text, a field may hold 18 or true. */
const same = (a: Scalar, b: Scalar): boolean => a === b || String(a) === String(b);

/** A field's number: a number, or text that is one ("18"); anything else is not comparable. */
function numberOf(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function fieldHolds(value: Scalar | undefined, c: Extract<Condition, { field: string }>): boolean {
  if (c.exists !== undefined && (value !== undefined) !== c.exists) return false;
  if (c.equals !== undefined && (value === undefined || !same(value, c.equals))) return false;
  if (c.notEquals !== undefined && value !== undefined && same(value, c.notEquals)) return false;
  if (c.in !== undefined && (value === undefined || !c.in.some((v) => same(value, v)))) return false;
  if (c.contains !== undefined && !(typeof value === 'string' && value.toLowerCase().includes(c.contains.toLowerCase())))
    return false;
  if (c.gt !== undefined || c.gte !== undefined || c.lt !== undefined || c.lte !== undefined) {
    const n = numberOf(value);
    if (n === undefined) return false;
    if ((c.gt !== undefined && !(n > c.gt)) || (c.gte !== undefined && !(n >= c.gte))) return false;
    if ((c.lt !== undefined && !(n < c.lt)) || (c.lte !== undefined && !(n <= c.lte))) return false;
  }
  return true;
}

function holds(card: AudienceCard, c: Condition, now: number): boolean {
  if ('any' in c) return c.any.some((inner) => holds(card, inner, now));
  if ('tag' in c) return card.tags.includes(c.tag) === c.has;
  if ('field' in c) return fieldHolds(card.fields[c.field], c);
  if ('consent' in c) return (card.consent[c.consent] === true) === c.subscribed;
  if ('lastInteraction' in c) {
    const { withinHours, olderThanHours, before, after } = c.lastInteraction;
    const last = card.last;
    // Never interacted: as if infinitely long ago (older than anything, within nothing).
    if (withinHours !== undefined && (last === null || now - last > withinHours * HOUR_MS)) return false;
    if (olderThanHours !== undefined && last !== null && now - last <= olderThanHours * HOUR_MS) return false;
    if (before !== undefined && last !== null && last >= before) return false;
    if (after !== undefined && (last === null || last <= after)) return false;
    return true;
  }
  if ('ref' in c) return card.ref === c.ref;
  if ('source' in c) return card.src !== undefined && card.src === c.source.toUpperCase();
  if ('adId' in c) return card.ad === c.adId;
  if ('flow' in c) return card.flow === c.flow && (c.node === undefined || card.node === c.node);
  if ('thread' in c) return card.thread === c.thread;
  if ('marketingToken' in c) return (card.mm !== null && card.mm > now) === c.marketingToken;
  // What is left is the window condition (its keys are both optional, so it is told apart last).
  const open = card.window !== null && card.window > now;
  if (c.window !== undefined && open !== (c.window === 'open')) return false;
  // Closes within N hours: open now and closing before now + N h (a closed window has nothing left to close).
  if (c.closesWithinHours !== undefined && !(open && (card.window as number) - now <= c.closesWithinHours * HOUR_MS))
    return false;
  return true;
}

/**
 * Whether a user (their audience card) is in the audience at `now`: every condition holds. Pure.
 * A card past its retention expiry is a user the store has forgotten: in no audience.
 */
export function matches(card: AudienceCard, filter: AudienceFilter, now: number): boolean {
  if (card.exp !== undefined && card.exp <= now) return false;
  return filter.all.every((c) => holds(card, c, now));
}
