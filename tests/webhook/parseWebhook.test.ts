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
    const r = ok({ object: 'page', entry: [{ id: 1, time: 7, messaging: [{ sender: { id: 2 }, delivery: { watermark: 5 } }] }] });
    expect(r.events[0]).toMatchObject({ kind: 'delivery', pageId: '1', userId: '2', timestamp: 7 });
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
