import fc from 'fast-check';
import { dedupeKeyOf, plainEnvelope, plainEvent, readEvent, zodEnvelope, zodEvent } from '../../src/webhook/parseWebhook';

/*
 * The webhook reads the usual envelope and event shapes by hand (plainEnvelope, plainEvent) and
 * leaves the rest to zod. These properties hold the hand-read path to exactly what zod returns.
 */

const odd = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.constant(''), fc.constant([]), fc.constant({}));
const idLike = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double({ noNaN: true }), odd);
const timeLike = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  fc.integer({ min: 1_600_000_000, max: 1_900_000_000 }),
  fc.integer({ min: 0, max: 2_000_000_000_000 }).map(String),
  fc.double(),
  odd,
);
const optionalField = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const withoutUndefined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

const party = fc.oneof(
  fc.record({ id: optionalField(idLike), user_ref: optionalField(idLike), extra: optionalField(odd) }).map(withoutUndefined),
  odd,
);
const message = fc.oneof(
  fc
    .record({
      mid: optionalField(fc.oneof(fc.string({ maxLength: 8 }), odd)),
      text: optionalField(fc.string({ maxLength: 8 })),
      is_echo: optionalField(fc.oneof(fc.boolean(), odd)),
      quick_reply: optionalField(odd),
    })
    .map(withoutUndefined),
  odd,
);
const event = fc
  .record({
    sender: optionalField(party),
    recipient: optionalField(party),
    timestamp: optionalField(timeLike),
    message: optionalField(message),
    postback: optionalField(fc.oneof(fc.record({ mid: optionalField(idLike), payload: fc.string() }).map(withoutUndefined), odd)),
    read: optionalField(odd),
    other: optionalField(odd),
  })
  .map(withoutUndefined);
const anyEvent = fc.oneof(event, odd);

const entry = fc.oneof(
  fc
    .record({
      id: optionalField(idLike),
      time: optionalField(timeLike),
      messaging: optionalField(fc.oneof(fc.array(anyEvent, { maxLength: 3 }), odd)),
      standby: optionalField(fc.oneof(fc.array(anyEvent, { maxLength: 2 }), odd)),
      changes: optionalField(odd),
    })
    .map(withoutUndefined),
  odd,
);
const envelope = fc
  .record({ object: fc.oneof(fc.constant('page'), odd), entry: fc.oneof(fc.array(entry, { maxLength: 3 }), odd), x: odd })
  .map(withoutUndefined);

/** What the parser reads of an entry (the rest is never looked at). */
const readFields = (e: { id?: string; time?: number; messaging?: unknown[]; standby?: unknown[] }) => ({
  id: e.id,
  time: e.time,
  messaging: e.messaging,
  standby: e.standby,
});

describe('webhook bodies read without zod', () => {
  it('an event reads exactly as zod reads it, and hashes the same', () => {
    fc.assert(
      fc.property(anyEvent, (value) => {
        const ours = readEvent(value);
        const zods = zodEvent(value);
        expect(ours).toEqual(zods);
        if (ours && zods)
          expect(dedupeKeyOf('read', 'messaging', 'P', 'U', 1, ours)).toBe(dedupeKeyOf('read', 'messaging', 'P', 'U', 1, zods));
      }),
      { numRuns: 3000 },
    );
  });

  it('an envelope read by hand is one zod accepts, with the same fields', () => {
    let plainSeen = 0;
    fc.assert(
      fc.property(envelope, (body) => {
        const ours = plainEnvelope(body);
        if (!ours) return;
        plainSeen += 1;
        const zods = zodEnvelope(body);
        expect(zods).toBeDefined();
        expect(ours.object).toBe(zods?.object);
        expect(ours.entry.map(readFields)).toEqual(zods?.entry.map(readFields));
      }),
      { numRuns: 3000 },
    );
    expect(plainSeen).toBeGreaterThan(50);
  });

  it("takes the hand-read path for Meta's usual message (the point of it)", () => {
    const value = {
      sender: { id: 'PSID' },
      recipient: { id: 'PAGE' },
      timestamp: 1_732_400_000_000,
      message: { mid: 'm_1', text: 'hi' },
    };
    expect(plainEvent(value)).toBe(value);
    const body = { object: 'page', entry: [{ id: 'PAGE', time: 1_732_400_000_000, messaging: [value] }] };
    expect(plainEnvelope(body)).toBe(body);
    // A seconds timestamp or a numeric id needs zod's conversion, so zod reads it.
    expect(plainEvent({ ...value, timestamp: 1_732_400_000 })).toBeUndefined();
    expect(plainEvent({ ...value, sender: { id: 42 } })).toBeUndefined();
    expect(readEvent({ ...value, sender: { id: 42 } })?.sender?.id).toBe('42');
  });
});
