import { MAX_PATH_DEPTH, MAX_PATH_LENGTH, parseJsonPath, readJsonPath } from '../../src/engine/jsonPath';
import { allowedHost, fillRequestUrl, splitUrl } from '../../src/engine/requestUrl';

describe('JSON paths', () => {
  test.each([
    ['order.status', ['order', 'status']],
    ['items[0].name', ['items', 0, 'name']],
    ['[2]', [2]],
    ['data.products[10][1]', ['data', 'products', 10, 1]],
    ['$meta.x-rate_limit', ['$meta', 'x-rate_limit']],
  ])('%s parses', (path, steps) => {
    expect(parseJsonPath(path)).toEqual({ ok: true, steps });
  });

  test.each([
    '',
    '.a',
    'a.',
    'a..b',
    'a[x]',
    'a[-1]',
    'a b',
    '1a',
    'a.[0]',
    'a[0',
    `${'a.'.repeat(MAX_PATH_DEPTH)}a`,
    'a'.repeat(MAX_PATH_LENGTH + 1),
  ])('%j does not parse', (path) => {
    expect(parseJsonPath(path).ok).toBe(false);
  });

  const json = { order: { status: 'shipped', n: 0, ok: false, none: null }, items: [{ name: 'Runner' }], list: [1, 2] };
  test.each([
    ['order.status', 'shipped'],
    ['order.n', 0],
    ['order.ok', false],
    ['order.none', null],
    ['items[0].name', 'Runner'],
    ['items[1].name', undefined],
    ['order.status.length', undefined],
    ['list.length', undefined],
    ['order.missing.deeper', undefined],
    ['__proto__', undefined],
    ['order.constructor', undefined],
    ['order.toString', undefined],
  ])('reads %s', (path, value) => {
    expect(readJsonPath(json, path)).toEqual(value);
  });

  test('reads nothing from non-objects and from a path that does not parse', () => {
    expect(readJsonPath('text', 'a')).toBeUndefined();
    expect(readJsonPath(null, 'a')).toBeUndefined();
    expect(readJsonPath(json, 'a..b')).toBeUndefined();
  });
});

describe('request URLs', () => {
  test('split: scheme, host (lower case, IPv6 without brackets), the rest', () => {
    expect(splitUrl('https://Shop.Example.com:8443/a?b=1')).toEqual({
      ok: true,
      parts: { scheme: 'https', host: 'shop.example.com', origin: 'https://Shop.Example.com:8443', rest: '/a?b=1' },
    });
    expect(splitUrl('http://[::1]:3000/x')).toMatchObject({ ok: true, parts: { scheme: 'http', host: '::1' } });
    expect(splitUrl('https://shop.example.com')).toMatchObject({ ok: true, parts: { rest: '' } });
  });

  test.each([
    'ftp://x.example.com/',
    'shop.example.com/a',
    'https://{{host}}/a',
    'https://api.{{tenant}}.example.com',
    'https://u:p@x.example.com/',
    'https:///a',
  ])('%s is refused', (url) => {
    expect(splitUrl(url).ok).toBe(false);
    expect(fillRequestUrl(url, { host: 'evil.example.com', tenant: 'x' }, {})).toBeUndefined();
  });

  test('values are encoded after the origin, defaults too', () => {
    expect(fillRequestUrl('https://a.example.com/{{x}}/{{y|d e}}?q={{x}}', { x: '../admin?#' }, {})).toBe(
      'https://a.example.com/..%2Fadmin%3F%23/d%20e?q=..%2Fadmin%3F%23',
    );
  });

  test('allowed hosts: exact names case-insensitively, *.suffix for subdomains only, IP literals', () => {
    const hosts = [
      { host: 'Shop.example.com', http: false, private: false, max_concurrent: 8 },
      { host: '*.crm.example.com', http: false, private: false, max_concurrent: 8 },
      { host: '[::1]', http: true, private: true, max_concurrent: 8 },
    ];
    expect(allowedHost(hosts, 'shop.example.com')?.host).toBe('Shop.example.com');
    expect(allowedHost(hosts, 'hooks.crm.example.com')?.host).toBe('*.crm.example.com');
    expect(allowedHost(hosts, 'a.b.crm.example.com')?.host).toBe('*.crm.example.com');
    expect(allowedHost(hosts, 'crm.example.com')).toBeUndefined();
    expect(allowedHost(hosts, 'evilcrm.example.com')).toBeUndefined();
    expect(allowedHost(hosts, 'shop.example.com.evil.net')).toBeUndefined();
    expect(allowedHost(hosts, '::1')?.host).toBe('[::1]');
  });
});
