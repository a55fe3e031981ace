import fc from 'fast-check';
import { z } from 'zod';
import { StoreCorruptError } from '../../src/errors';
import { EVENT_KINDS } from '../../src/store/messengerEvent';
import { decodeInboxRecord, INBOX_FORMAT, streamIdAfter } from '../../src/store/records';

/*
 * decodeInboxRecord reads a record's format and event kind by hand before the full parse. This
 * holds it to what the schemas alone decided: the same record, the same `unknown`, the same throw.
 */
const versioned = z.looseObject({ v: z.number().int().positive().default(1) });
const kindProbe = z.looseObject({ event: z.looseObject({ kind: z.string() }) });
const known: ReadonlySet<string> = new Set(EVENT_KINDS);

/** The decision as the schemas make it (the full parse is the same code on both sides). */
function schemaDecision(value: unknown): 'corrupt' | 'version' | 'kind' | 'parse' {
  const v = versioned.safeParse(value);
  if (!v.success) return 'corrupt';
  if (v.data.v > INBOX_FORMAT) return 'version';
  const kind = kindProbe.safeParse(value).data?.event.kind;
  if (kind !== undefined && !known.has(kind)) return 'kind';
  return 'parse';
}

function decision(text: string): 'corrupt' | 'version' | 'kind' | 'parse' {
  try {
    const d = decodeInboxRecord(text, 'test');
    return d.type === 'unknown' ? d.reason : 'parse';
  } catch (err) {
    if (!(err instanceof StoreCorruptError)) throw err;
    // A record the full parse refuses also throws; only the probes' verdicts are compared here.
    return versioned.safeParse(JSON.parse(text)).success ? 'parse' : 'corrupt';
  }
}

const odd = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.constant([]));
const version = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: -2, max: 3 }),
  fc.double(),
  fc.constant(2 ** 60),
  fc.constant('1'),
  odd,
);
const kind = fc.oneof(fc.constantFrom(...EVENT_KINDS), fc.constant('poll_vote'), odd);
const record = fc.oneof(
  fc.record({ v: version, source: fc.constant('webhook'), event: fc.oneof(fc.record({ kind, raw: fc.constant({}) }), odd) }),
  odd,
);

describe('inbox record probes', () => {
  it('decide as the schemas did', () => {
    fc.assert(
      fc.property(record, (value) => {
        const text = JSON.stringify(value) ?? 'null';
        expect(decision(text)).toBe(schemaDecision(JSON.parse(text)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('streamIdAfter', () => {
  /** The comparison as first written (split on '-'), which the faster one must match. */
  const byParts = (a: string, b: string): boolean => {
    const [ams = 0, aseq = 0] = a.split('-').map(Number);
    const [bms = 0, bseq = 0] = b.split('-').map(Number);
    return ams !== bms ? ams > bms : aseq > bseq;
  };
  const part = fc.oneof(fc.integer({ min: 0, max: 20 }).map(String), fc.nat().map(String), fc.constantFrom('', 'x', '01', '1e3'));
  const id = fc.oneof(
    fc.tuple(part, part).map(([ms, seq]) => `${ms}-${seq}`),
    part,
    fc.tuple(part, part, part).map((p) => p.join('-')),
    fc.string({ maxLength: 6 }),
  );

  it('orders ids as comparing their split parts does', () => {
    fc.assert(
      fc.property(id, id, (a, b) => {
        expect(streamIdAfter(a, b)).toBe(byParts(a, b));
      }),
      { numRuns: 5000 },
    );
    expect(streamIdAfter('10-0', '9-5')).toBe(true);
    expect(streamIdAfter('9-5', '10-0')).toBe(false);
    expect(streamIdAfter('5-10', '5-9')).toBe(true);
  });
});
