import { backoffMs, decideWebhook } from '../../src/requests/webhookDecision';
import { webhookSigningKey } from '../../src/requests/webhookPump';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signWebhook, verifyWebhook, WEBHOOK_HEADERS } from '../../src/requests/webhookSignature';
import { ConfigError } from '../../src/errors';

describe('decideWebhook', () => {
  const response = (status: number) => ({ kind: 'response', status, json: null, ms: 1 }) as const;
  it.each([
    [200, 'delivered'],
    [204, 'delivered'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [400, 'drop'],
    [401, 'drop'],
    [404, 'drop'],
    [410, 'drop'],
  ])('answers %i with %s', (status, decision) => expect(decideWebhook(response(status))).toBe(decision));

  it('retries timeouts and failures, drops refusals, and leaves an aborted try to its lease', () => {
    expect(decideWebhook({ kind: 'timeout', ms: 1 })).toBe('retry');
    expect(decideWebhook({ kind: 'failed', reason: 'network', ms: 1 })).toBe('retry');
    expect(decideWebhook({ kind: 'failed', reason: 'queue_full', ms: 1 })).toBe('retry');
    expect(decideWebhook({ kind: 'refused', reason: 'private_address' })).toBe('drop');
    expect(decideWebhook({ kind: 'refused', reason: 'redirect' })).toBe('drop');
    expect(decideWebhook({ kind: 'failed', reason: 'aborted', ms: 1 })).toBe('abandon');
  });
});

describe('backoffMs', () => {
  const backoff = { baseMs: 1_000, maxMs: 60_000 };
  it('doubles per try up to the cap, half of it jittered', () => {
    expect([1, 2, 3, 4].map((t) => backoffMs(t, backoff, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect([1, 2, 3, 4].map((t) => backoffMs(t, backoff, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect(backoffMs(30, backoff, () => 1)).toBe(60_000);
    expect(backoffMs(1_000, backoff, () => 0.5)).toBe(45_000);
  });
});

describe('signatures', () => {
  it('verifies what it signed, within the tolerance, and nothing altered', () => {
    const body = '{"lead":1}';
    const sig = signWebhook('k'.repeat(32), 1_700_000_000, body);
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook('k'.repeat(32), sig, '1700000000', body, 1_700_000_100)).toBe(true);
    expect(verifyWebhook('k'.repeat(32), sig, '1700000000', body, 1_700_000_301)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), sig, '1700000001', body, 1_700_000_000)).toBe(false);
    expect(verifyWebhook('x'.repeat(32), sig, '1700000000', body, 1_700_000_000)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), sig, '1700000000', '{"lead":2}', 1_700_000_000)).toBe(false);
    expect(verifyWebhook('k'.repeat(32), undefined, '1700000000', body, 1_700_000_000)).toBe(false);
  });

  it('needs a signing key of 16 characters or more from the named variable', () => {
    const settings = { max_tries: 3, signing_secret: 'HOOK_KEY' };
    expect(webhookSigningKey(settings, (n) => (n === 'HOOK_KEY' ? 'a'.repeat(16) : undefined))).toBe('a'.repeat(16));
    expect(() => webhookSigningKey(settings, () => undefined)).toThrow(ConfigError);
    expect(() => webhookSigningKey(settings, () => 'short')).toThrow(/HOOK_KEY must be set/);
  });
});

describe("docs/flows.md's receiver example", () => {
  it('accepts what the pump signs, and refuses a changed body or an old timestamp', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'flows.md'), 'utf8');
    const code = /```js\n([\s\S]*?function verifyTalkshop[\s\S]*?)```/.exec(doc)?.[1];
    expect(code).toBeDefined();
    type Verify = (raw: string, headers: Record<string, string>, secret: string) => boolean;
    const verify = new Function('require', `${code}\nreturn verifyTalkshop;`)(require) as Verify;
    const key = 'k'.repeat(32);
    const body = '{"lead":{"email":"a@example.com"}}';
    const headers = (ts: number, b = body) => ({
      [WEBHOOK_HEADERS.timestamp]: String(ts),
      [WEBHOOK_HEADERS.signature]: signWebhook(key, ts, b),
    });
    const now = Math.floor(Date.now() / 1000);
    expect(verify(body, headers(now), key)).toBe(true);
    expect(verify(body.replace('a@', 'b@'), headers(now), key)).toBe(false);
    expect(verify(body, headers(now - 3600), key)).toBe(false);
    expect(verify(body, headers(now), 'x'.repeat(32))).toBe(false);
  });
});
