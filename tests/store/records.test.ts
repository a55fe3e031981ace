import fc from 'fast-check';
import { StoreCorruptError } from '../../src/errors';
import type { InboxRecord } from '../../src/store/ports';
import { decodeInboxRecord, INBOX_FORMAT, inboxRecordSchema } from '../../src/store/records';
import { EVENT_KINDS } from '../../src/store/messengerEvent';
import { redisFixture } from '../support/redisFixture';

const message = (n: number): InboxRecord => ({
  source: 'webhook',
  event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: 'u', timestamp: n, dedupeKey: `mid:${n}`, raw: {} },
});
/** A record as JSON holds it, of any kind: this code's or not. */
const record = (kind: string, n: number) => ({ ...message(n), event: { ...message(n).event, kind } });

describe('inbox record formats', () => {
  it('writes the format version and reads a record without one (written before versions) as the first format', () => {
    const known = record('message', 1);
    expect(INBOX_FORMAT).toBe(1);
    expect(decodeInboxRecord(JSON.stringify(known), 'test')).toEqual({ type: 'record', record: known });
    expect(decodeInboxRecord(JSON.stringify({ v: 1, ...known }), 'test')).toEqual({ type: 'record', record: known });
  });

  it('leaves an event kind or a format it does not know to a newer release; anything else unreadable throws', () => {
    expect(decodeInboxRecord(JSON.stringify(record('poll_vote', 1)), 'test')).toEqual({
      type: 'unknown',
      reason: 'kind',
      detail: 'poll_vote',
    });
    // The version is looked at first: a later format may have moved or changed anything else.
    expect(decodeInboxRecord(JSON.stringify({ v: 2, events: [] }), 'test')).toEqual({
      type: 'unknown',
      reason: 'version',
      detail: 'format 2',
    });
    expect(() => decodeInboxRecord('{not json', 'test')).toThrow(StoreCorruptError);
    expect(() => decodeInboxRecord(JSON.stringify({ ...record('message', 1), source: 7 }), 'test')).toThrow(StoreCorruptError);
    expect(() => decodeInboxRecord(JSON.stringify({ v: 'one', ...record('message', 1) }), 'test')).toThrow(StoreCorruptError);
  });
});

describe('inbox records read by hand', () => {
  // The usual record skips the schema; whatever it is given, the result must be the schema's.
  const field = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: arb }, fc.jsonValue());
  const recordArb = fc.record(
    {
      v: fc.constantFrom(1, undefined),
      source: field(fc.constantFrom('webhook', 'sender', 'admin', 'timer')),
      event: fc.oneof(
        {
          weight: 9,
          arbitrary: fc.record(
            {
              kind: field(fc.constantFrom(...EVENT_KINDS)),
              channel: field(fc.constantFrom('messaging', 'standby')),
              pageId: field(fc.string()),
              userId: field(fc.string()),
              timestamp: field(fc.double({ noNaN: true, noDefaultInfinity: true })),
              dedupeKey: field(fc.string()),
              raw: field(fc.dictionary(fc.string(), fc.jsonValue())),
              extra: fc.jsonValue(),
            },
            { requiredKeys: ['kind', 'channel', 'pageId', 'userId', 'timestamp', 'dedupeKey', 'raw'] },
          ),
        },
        fc.jsonValue(),
      ),
      more: fc.jsonValue(),
    },
    { requiredKeys: ['source', 'event'] },
  );

  it('reads every record as the schema does, field order included, and refuses what it refuses', () => {
    fc.assert(
      fc.property(recordArb, (value) => {
        const text = JSON.stringify(value);
        const json: unknown = JSON.parse(text);
        const kind = (json as { event?: { kind?: unknown } }).event?.kind;
        fc.pre(typeof kind !== 'string' || (EVENT_KINDS as readonly string[]).includes(kind));
        const expected = inboxRecordSchema.safeParse(json);
        if (!expected.success) return expect(() => decodeInboxRecord(text, 'test')).toThrow(StoreCorruptError);
        const got = decodeInboxRecord(text, 'test');
        expect(got).toEqual({ type: 'record', record: expected.data });
        expect(JSON.stringify(got.type === 'record' && got.record)).toBe(JSON.stringify(expected.data));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves a "__proto__" key of raw out, as the schema does', () => {
    const text =
      '{"v":1,"source":"webhook","event":{"kind":"message","channel":"messaging","pageId":"p","userId":"u","timestamp":1,"dedupeKey":"d","raw":{"__proto__":{"x":1},"a":1}}}';
    const got = decodeInboxRecord(text, 'test');
    expect(got).toEqual({ type: 'record', record: inboxRecordSchema.parse(JSON.parse(text)) });
    expect(got.type === 'record' && Object.hasOwn(got.record.event.raw, '__proto__')).toBe(false);
  });
});

/** What Redis holds, written and read by hand: the formats on disk, including ones older and newer than this code. */
describe('redis record formats', () => {
  const { keys, raw, store } = redisFixture('formats');

  it('inbox: records carry their version; old, unknown and newer ones read back in stream order', async () => {
    const ours = message(1);
    await store().inbox.append([{ partition: 0, dedupeKey: 'a', record: ours }]);
    await raw.xAdd(keys.inbox(0), '*', { r: JSON.stringify(record('message', 2)) }); // written before versions
    await raw.xAdd(keys.inbox(0), '*', { r: JSON.stringify({ v: 1, ...record('poll_vote', 3) }) });
    await raw.xAdd(keys.inbox(0), '*', { r: JSON.stringify({ v: 2, whatever: true }) });
    const [first] = await raw.xRange(keys.inbox(0), '-', '+', { COUNT: 1 });
    expect(JSON.parse(first?.message.r ?? '')).toEqual({ v: 1, ...ours });
    const reads = await store().inbox.readNew(new Map([[0, '0-0']]), 10, 10);
    expect(reads.map((r) => (r.type === 'item' ? r.record.event.timestamp : r.type === 'unknown' ? r.reason : r.type))).toEqual([
      1,
      2,
      'kind',
      'version',
    ]);
  });

  it('inbox: a record that is not JSON (or no record at all) reads as corrupt, in its place, without failing the read', async () => {
    await raw.xAdd(keys.inbox(1), '*', { r: '{oops' });
    await raw.xAdd(keys.inbox(1), '*', { r: JSON.stringify({ v: 1, source: 'webhook' }) });
    await store().inbox.append([{ partition: 1, dedupeKey: 'after', record: message(7) }]);
    const reads = await store().inbox.readNew(new Map([[1, '0-0']]), 10, 10);
    expect(reads.map((r) => r.type)).toEqual(['corrupt', 'corrupt', 'item']);
    expect(reads[0]?.type === 'corrupt' && reads[0].detail).toMatch(/not JSON/);
  });

  it('outbox: entries carry their version; one written before versions reads as version 1', async () => {
    await store().inbox.append([{ partition: 2, dedupeKey: 'b', record: message(1) }]);
    const [item] = await store().inbox.readNew(new Map([[2, '0-0']]), 10, 10);
    const token = (await store().leases.acquire(2, 'w', 10_000)) as string;
    const items = [
      { itemId: item?.id ?? '', userKey: 'p:u', expectedVersion: 0, data: {}, effects: [{ v: 1, body: { type: 'mark_seen' } }] },
    ];
    await store().states.commit({ partition: 2, leaseToken: token, items });
    await raw.xAdd(keys.outbox(2), '*', { u: 'p:u', i: item?.id ?? '', e: JSON.stringify({ type: 'typing', ms: 5 }) });
    const [written] = await raw.xRange(keys.outbox(2), '-', '+', { COUNT: 1 });
    expect(written?.message).toMatchObject({ u: 'p:u', v: '1', e: '{"type":"mark_seen"}' });
    expect((await store().states.readOutbox(2, '0-0', 10)).map((e) => e.effect)).toEqual([
      { v: 1, body: { type: 'mark_seen' } },
      { v: 1, body: { type: 'typing', ms: 5 } },
    ]);
  });

  it('outbox: an effect that is not JSON, or a version that is not a number, fails the read, as before', async () => {
    await raw.xAdd(keys.outbox(3), '*', { u: 'p:u', i: '1-0', v: '1', e: '{oops' });
    await expect(store().states.readOutbox(3, '0-0', 10)).rejects.toThrow(StoreCorruptError);
    await raw.del(keys.outbox(3));
    await raw.xAdd(keys.outbox(3), '*', { u: 'p:u', i: '1-0', v: 'x', e: '{}' });
    await expect(store().states.readOutbox(3, '0-0', 10)).rejects.toThrow(StoreCorruptError);
  });
});
