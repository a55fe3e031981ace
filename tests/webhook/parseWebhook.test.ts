import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWebhook } from '../../src/webhook/parseWebhook';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'webhooks', name), 'utf8'));
const ok = (body: unknown) => {
  const r = parseWebhook(body, 42);
  if (r.type !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r;
};

describe('parseWebhook', () => {
  it('routes echoes by recipient, keeps standby separate, and reads reactions and reads', () => {
    const r = ok(fixture('echo-read-reaction.json'));
    expect(r.events.map((e) => [e.channel, e.kind, e.userId])).toEqual([
      ['messaging', 'echo', 'PSID_1'],
      ['messaging', 'read', 'PSID_1'],
      ['messaging', 'reaction', 'PSID_1'],
      ['standby', 'echo', 'PSID_2'],
      ['standby', 'message', 'PSID_2'],
    ]);
    expect(r.ignored).toEqual([]);
  });

  it('accepts numeric strings for times, user_ref senders, and counts unknown kinds', () => {
    const r = ok(fixture('optin-notification.json'));
    expect(r.events.map((e) => [e.kind, e.userId, e.timestamp])).toEqual([
      ['optin', 'PSID_3', 1732400000101],
      ['optin', 'checkbox-ref-42', 1732400000102],
    ]);
    expect(r.ignored).toEqual(['unknown_kind']);
  });

  it('uses mids as dedupe keys and stable composite keys otherwise', () => {
    const r = ok(fixture('echo-read-reaction.json'));
    expect(r.events[0]?.dedupeKey).toBe('mid:m_echo_1');
    const read = r.events[1]?.dedupeKey;
    expect(read).toMatch(/^c:/);
    // Same event with keys in another order hashes the same: redeliveries need not be byte-identical.
    const again = ok({
      entry: [
        {
          time: 1732400000000,
          id: 'PAGE_ID',
          messaging: [
            {
              read: { watermark: 1732400000001 },
              timestamp: 1732400000002,
              recipient: { id: 'PAGE_ID' },
              sender: { id: 'PSID_1' },
            },
          ],
        },
      ],
      object: 'page',
    });
    expect(again.events[0]?.dedupeKey).toBe(read);
    // A reaction shares its mid with the message it reacts to, so it must not use the mid.
    expect(r.events[2]?.dedupeKey).toMatch(/^c:/);
  });

  it('falls back to the entry time for events without a timestamp', () => {
    const r = ok({
      object: 'page',
      entry: [{ id: 1, time: 1732400000000, messaging: [{ sender: { id: 2 }, delivery: { watermark: 5 } }] }],
    });
    expect(r.events[0]).toMatchObject({ kind: 'delivery', pageId: '1', userId: '2', timestamp: 1732400000000 });
  });

  it('reads times in seconds, milliseconds and numeric strings as epoch ms', () => {
    const at = (timestamp: unknown) =>
      ok({ object: 'page', entry: [{ id: 'p', messaging: [{ sender: { id: 'u' }, timestamp, read: {} }] }] }).events[0]
        ?.timestamp;
    expect([at(1732400000), at(1732400000123), at('1732400000'), at('1732400000123')]).toEqual([
      1732400000000, 1732400000123, 1732400000000, 1732400000123,
    ]);
  });

  it.each([
    [null, 'invalid'],
    [[], 'invalid'],
    ['page', 'invalid'],
    [{ object: 'page' }, 'invalid'],
    [{ object: 'page', entry: {} }, 'invalid'],
    [{ object: 'instagram', entry: [] }, 'not_page'],
  ])('classifies %j as %s', (body, type) => {
    expect(parseWebhook(body, 1).type).toBe(type);
  });

  describe('with acceptance rules', () => {
    const T = 1732400000000;
    const accept = { pageId: 'p', oldestMs: T - 1000, maxEvents: 3 };
    const event = (timestamp: unknown, mid: string) => ({ sender: { id: 'u' }, timestamp, message: { mid } });

    it('ignores other Pages and events older than oldestMs, keeping the rest', () => {
      const r = parseWebhook(
        {
          object: 'page',
          entry: [
            { id: 'p', messaging: [event(T, 'a'), event(T - 1001, 'old'), event(String(Math.floor(T / 1000)), 'secs')] },
            { id: 'q', messaging: [event(T, 'other')] },
          ],
        },
        T,
        { ...accept, maxEvents: 10 },
      );
      if (r.type !== 'ok') throw new Error(JSON.stringify(r));
      expect(r.events.map((e) => e.dedupeKey)).toEqual(['mid:a', 'mid:secs']);
      expect(r.ignored).toEqual(['too_old', 'other_page']);
    });

    it('refuses a body with more events than maxEvents, counting messaging and standby over every entry', () => {
      const body = {
        object: 'page',
        entry: [
          { id: 'p', messaging: [event(T, 'a'), event(T, 'b')] },
          { id: 'p', standby: [event(T, 'c'), event(T, 'd')] },
        ],
      };
      expect(parseWebhook(body, T, accept)).toEqual({ type: 'too_many', count: 4 });
      expect(parseWebhook(body, T, { ...accept, maxEvents: 4 }).type).toBe('ok');
    });
  });

  it('ignores, with a reason, events it cannot route', () => {
    const r = ok({
      object: 'page',
      entry: [
        {
          id: 'p',
          messaging: [null, 5, { sender: {}, message: { mid: 'x' } }, { sender: { id: 'u' }, message: 'not an object' }],
        },
        { messaging: [{ sender: { id: 'u' }, message: { mid: 'y' } }] },
      ],
    });
    expect(r.events).toEqual([]);
    expect(r.ignored).toEqual(['malformed_event', 'malformed_event', 'no_user', 'malformed_event', 'no_page']);
  });
});
