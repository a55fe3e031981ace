import fc from 'fast-check';
import { z } from 'zod';
import { StoreCorruptError } from '../../src/errors';
import { EVENT_KINDS } from '../../src/store/messengerEvent';
import { decodeInboxRecord, INBOX_FORMAT } from '../../src/store/records';

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
