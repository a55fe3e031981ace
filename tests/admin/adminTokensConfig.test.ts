import { adminTokensOf, loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/errors';
import { REQUIRED_ENV as required } from '../support/requiredEnv';

const A = 'aaaaaaaaaaaaaaaa-1';
const B = 'bbbbbbbbbbbbbbbb-2';

function problems(env: Record<string, string>): string {
  try {
    loadConfig({ ...required, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('admin settings', () => {
  it('defaults: admin listener on 127.0.0.1:3001, no tokens, /metrics public', () => {
    const c = loadConfig(required);
    expect([c.ADMIN_HOST, c.ADMIN_PORT, c.METRICS_PUBLIC]).toEqual(['127.0.0.1', 3001, true]);
    expect(adminTokensOf(c)).toEqual([]);
    expect(loadConfig({ ...required, METRICS_PUBLIC: 'false' }).METRICS_PUBLIC).toBe(false);
  });

  it('ADMIN_TOKENS holds named tokens with a role each; ADMIN_TOKEN is the operator "admin"', () => {
    const c = loadConfig({
      ...required,
      ADMIN_TOKENS: ` anna:agent:${A}, mark:marketer:${B}:with:colons`,
      ADMIN_TOKEN: 'cccccccccccccccc',
    });
    expect(adminTokensOf(c)).toEqual([
      { name: 'admin', role: 'operator', token: 'cccccccccccccccc' },
      { name: 'anna', role: 'agent', token: A },
      { name: 'mark', role: 'marketer', token: `${B}:with:colons` },
    ]);
  });

  it.each([
    ['a missing part', `anna:${A}`, /entry 1: expected name:role:token/],
    ['a token alone', A, /entry 1: expected name:role:token/],
    ['an unknown role', `anna:boss:${A}`, /entry 1 \("anna"\): the role must be one of agent, marketer, operator/],
    ['a bad name', `an na:agent:${A}`, /entry 1: the name must be/],
    ['a short token', 'anna:agent:short', /entry 1 \("anna"\): the token must be at least 16 characters/],
    ['a duplicate name', `anna:agent:${A},anna:operator:${B}`, /the name "anna" is used twice/],
    ['a duplicate token', `anna:agent:${A},olga:operator:${A}`, /"anna" and "olga" have the same token/],
  ])('refuses %s, naming the entry but never a token', (_what, value, message) => {
    const p = problems({ ADMIN_TOKENS: value });
    expect(p).toMatch(message);
    expect(p).toMatch(/^ADMIN_TOKENS: /);
    expect(p).not.toContain(A);
    expect(p).not.toContain('short');
  });

  it('refuses ADMIN_TOKEN repeating a token (or the name "admin") of ADMIN_TOKENS', () => {
    const p = problems({ ADMIN_TOKEN: A, ADMIN_TOKENS: `anna:agent:${A}` });
    expect(p).toMatch(/ADMIN_TOKENS: "admin" and "anna" have the same token.*ADMIN_TOKEN counts as "admin"/);
    expect(p).not.toContain(A);
    expect(problems({ ADMIN_TOKEN: B, ADMIN_TOKENS: `admin:agent:${A}` })).toMatch(/the name "admin" is used twice/);
  });
});
