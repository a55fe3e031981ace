import { findHost, isPublicAddress } from '../../src/requests/addressPolicy';
import { classifyOutcome } from '../../src/requests/outboundRequest';
import type { RequestHost } from '../../src/engine/requestSettings';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254', // the cloud metadata address (link-local)
    '100.64.0.1', // CGNAT
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '[::1]',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1', // IPv4-mapped forms are judged as the IPv4 address
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a00:1', // NAT64 of 10.0.0.1
    '2002:a00:1::', // 6to4 of 10.0.0.1
    'not an address',
    '',
  ])('refuses %s', (address) => expect(isPublicAddress(address)).toBe(false));

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) =>
    expect(isPublicAddress(address)).toBe(true),
  );
});

describe('findHost', () => {
  const entry = (host: string): RequestHost => ({ host, http: false, private: false, max_concurrent: 8 });
  const hosts = [entry('shop.example.com'), entry('*.api.example.net'), entry('[::1]'), entry('10.0.0.1')];

  it('matches exact names case-insensitively, with or without the trailing dot', () => {
    expect(findHost(hosts, 'SHOP.example.com')?.host).toBe('shop.example.com');
    expect(findHost(hosts, 'shop.example.com.')?.host).toBe('shop.example.com');
    expect(findHost(hosts, 'evil-shop.example.com')).toBeUndefined();
    expect(findHost(hosts, 'shop.example.com.evil.org')).toBeUndefined();
  });

  it('matches a wildcard to subdomains only, never the bare suffix or a look-alike', () => {
    expect(findHost(hosts, 'eu.api.example.net')?.host).toBe('*.api.example.net');
    expect(findHost(hosts, 'a.b.api.example.net')?.host).toBe('*.api.example.net');
    expect(findHost(hosts, 'api.example.net')).toBeUndefined();
    expect(findHost(hosts, 'evilapi.example.net')).toBeUndefined();
  });

  it('matches IP literals by value', () => {
    expect(findHost(hosts, '[::1]')?.host).toBe('[::1]');
    expect(findHost(hosts, '[0:0:0:0:0:0:0:1]')?.host).toBe('[::1]');
    expect(findHost(hosts, '10.0.0.1')?.host).toBe('10.0.0.1');
    expect(findHost(hosts, '10.0.0.2')).toBeUndefined();
  });
});

describe('classifyOutcome', () => {
  it('maps 2xx to ok, 4xx to not_found, 5xx, 3xx, refusals and failures to failed, and a timeout to timeout', () => {
    const response = (status: number) => ({ kind: 'response', status, json: null, ms: 1 }) as const;
    expect(classifyOutcome(response(200))).toBe('ok');
    expect(classifyOutcome(response(204))).toBe('ok');
    expect(classifyOutcome(response(404))).toBe('not_found');
    expect(classifyOutcome(response(429))).toBe('not_found');
    expect(classifyOutcome(response(500))).toBe('failed');
    expect(classifyOutcome(response(304))).toBe('failed');
    expect(classifyOutcome({ kind: 'timeout', ms: 5 })).toBe('timeout');
    expect(classifyOutcome({ kind: 'refused', reason: 'private_address' })).toBe('failed');
    expect(classifyOutcome({ kind: 'failed', reason: 'too_large', ms: 3 })).toBe('failed');
  });
});
