import { broadcastSchema, HUMAN_AGENT_REFUSED } from '../../src/broadcasts/broadcastSchema';
import { loadConfig } from '../../src/config/config';

const base = { id: 'june-news', name: 'June news', audience: { where: ['tag=vip'] }, messages: [{ text: 'Hello' }] };
const messagesOf = (input: unknown): string[] => {
  const r = broadcastSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('broadcast schema', () => {
  it('accepts each kind, and both audience forms mean the same filter', () => {
    const promo = broadcastSchema.parse({ ...base, kind: 'promotional', topic: 'offers' });
    const json = broadcastSchema.parse({
      ...base,
      kind: 'promotional',
      topic: 'offers',
      audience: { all: [{ tag: 'vip' }] },
    });
    expect(promo.audience).toEqual({ all: [{ tag: 'vip', has: true }] });
    expect(json.audience).toEqual(promo.audience);
    expect(broadcastSchema.parse({ ...base, kind: 'tagged', tag: 'POST_PURCHASE_UPDATE' }).kind).toBe('tagged');
    expect(broadcastSchema.parse({ ...base, kind: 'marketing_message', topic: 'offers' }).kind).toBe('marketing_message');
    const started = broadcastSchema.parse({
      ...base,
      messages: undefined,
      start: 'shop/menu',
      kind: 'promotional',
      topic: 'offers',
    });
    expect(started.start).toBe('shop/menu');
  });

  it("stores `at` as data: an instant with its offset, or each user's local time", () => {
    const at = (value: string) => broadcastSchema.parse({ ...base, kind: 'promotional', topic: 'offers', at: value }).at;
    expect(at('2026-07-01T09:00:00+02:00')).toEqual({
      kind: 'instant',
      iso: '2026-07-01T09:00:00+02:00',
      ms: Date.UTC(2026, 6, 1, 7),
    });
    expect(at('2026-07-01T07:00Z')).toMatchObject({ kind: 'instant', ms: Date.UTC(2026, 6, 1, 7) });
    expect(at('local 18:30')).toEqual({ kind: 'local', hour: 18, minute: 30 });
    // Without an offset the instant would depend on the server's time zone.
    expect(messagesOf({ ...base, kind: 'promotional', topic: 'offers', at: '2026-07-01T09:00:00' })[0]).toMatch(/^at: .*offset/);
    expect(messagesOf({ ...base, kind: 'promotional', topic: 'offers', at: 'local 24:00' })).toHaveLength(1);
  });

  it('refuses HUMAN_AGENT saying why, unknown tags, and a tagged broadcast without a tag', () => {
    expect(messagesOf({ ...base, kind: 'tagged', tag: 'HUMAN_AGENT' })).toEqual([`tag: ${HUMAN_AGENT_REFUSED}`]);
    expect(messagesOf({ ...base, kind: 'tagged', tag: 'SHIPPING_UPDATE' })[0]).toMatch(
      /^tag: expected one of CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE, ACCOUNT_UPDATE \(got "SHIPPING_UPDATE"\)/,
    );
    expect(messagesOf({ ...base, kind: 'tagged' })[0]).toMatch(/^tag: expected one of/);
  });

  it('refuses a missing topic, an unknown kind, both or neither content, bad ids, unknown keys and bad where clauses', () => {
    expect(messagesOf({ ...base, kind: 'promotional' })[0]).toMatch(/^topic:/);
    expect(messagesOf({ ...base, kind: 'marketing_message' })[0]).toMatch(/^topic:/);
    expect(messagesOf({ ...base, kind: 'blast' })[0]).toMatch(/kind must be promotional, tagged or marketing_message/);
    expect(messagesOf({ ...base, kind: 'promotional', topic: 'offers', start: 'shop/menu' })[0]).toMatch(/exactly one of them/);
    expect(messagesOf({ ...base, messages: undefined, kind: 'promotional', topic: 'offers' })[0]).toMatch(/exactly one of them/);
    expect(messagesOf({ ...base, id: 'June News', kind: 'promotional', topic: 'offers' })[0]).toMatch(/^id: use lowercase/);
    expect(messagesOf({ ...base, kind: 'promotional', topic: 'offers', tag: 'ACCOUNT_UPDATE' })).toHaveLength(1);
    expect(messagesOf({ ...base, kind: 'promotional', topic: 'offers', start: 'menu', messages: undefined })[0]).toMatch(
      /^start: write FLOW\/NODE/,
    );
    expect(
      messagesOf({ ...base, kind: 'promotional', topic: 'offers', audience: { where: ['tag=vip', 'colour~red'] } })[0],
    ).toMatch(/^audience\.where\.1: --where "colour~red"/);
    expect(messagesOf({ ...base, kind: 'promotional', topic: 'offers', audience: { all: [{ tag: '' }] } })).toHaveLength(1);
    expect(messagesOf({ ...base, kind: 'promotional', topic: 'offers', messages: [{ txt: 'typo' }] })).toHaveLength(1);
  });
});

describe('MARKETING_AD_ACCOUNT_ID', () => {
  const required = {
    MESSENGER_PAGE_ID: 'p',
    MESSENGER_ACCESS_TOKEN: 't',
    MESSENGER_APP_ID: 'a',
    MESSENGER_APP_SECRET: 's',
    MESSENGER_VERIFY_TOKEN: 'v',
  };
  it('is optional, read as act_<digits>, and a malformed one stops start-up naming it', () => {
    expect(loadConfig(required).MARKETING_AD_ACCOUNT_ID).toBeUndefined();
    expect(loadConfig({ ...required, MARKETING_AD_ACCOUNT_ID: '1234567' }).MARKETING_AD_ACCOUNT_ID).toBe('act_1234567');
    expect(loadConfig({ ...required, MARKETING_AD_ACCOUNT_ID: 'act_1234567' }).MARKETING_AD_ACCOUNT_ID).toBe('act_1234567');
    expect(() => loadConfig({ ...required, MARKETING_AD_ACCOUNT_ID: 'act_12x' })).toThrow(
      /MARKETING_AD_ACCOUNT_ID: expected act_<digits>/,
    );
  });
});
