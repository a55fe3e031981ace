import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { guardedAgent, isAddressRefused } from '../../src/requests/guardedAgent';
import type { OutboundRequest } from '../../src/requests/outboundRequest';
import { createRequester, type Requester } from '../../src/requests/safeRequester';
import { waitFor } from '../support/webhookClient';
import { json, localServer, type LocalServer } from './localServer';
import { capturedLogger, fakeDns, settingsOf } from './requesterSupport';

/** What the requester refuses, and the caps it keeps, against a real server that must see nothing refused. */
const get = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: 'GET',
  url,
  headers: {},
  timeoutMs: 10_000,
  name: 'probe',
  ...extra,
});

let api: LocalServer;
const streamed = { bytes: 0, closedEarly: false };
const FIFTY_MB = 50 * 1024 * 1024;

/** Writes up to 50 MB in 64 KB chunks as fast as the client reads, and notes how far it got. */
function stream50MB(res: ServerResponse, declareLength: boolean): void {
  streamed.bytes = 0;
  streamed.closedEarly = false;
  res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(FIFTY_MB) } : {}) });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  res.on('close', () => (streamed.closedEarly = streamed.bytes < FIFTY_MB));
  const pump = () => {
    while (streamed.bytes < FIFTY_MB && !res.destroyed) {
      streamed.bytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

beforeAll(async () => {
  api = await localServer((req, res) => {
    if (req.url === '/big') return stream50MB(res, false);
    if (req.url === '/big-declared') return stream50MB(res, true);
    json(res, 200, { ok: true });
  });
});
afterAll(() => api.close());

describe('refusals', () => {
  let requester: Requester;
  const dns = () =>
    fakeDns({
      'private.test': '10.0.0.1',
      'local.test': '127.0.0.1',
      'mixed.test': ['93.184.216.34', '10.0.0.1'],
      'mapped.test': '::ffff:127.0.0.1',
      'metadata.test': '169.254.169.254',
    });
  beforeAll(() => {
    const hosts = [
      '127.0.0.1',
      '169.254.169.254',
      '10.0.0.1',
      '[::1]',
      'private.test',
      'local.test',
      'mixed.test',
      'mapped.test',
      'metadata.test',
    ];
    requester = createRequester({
      settings: settingsOf({ hosts: [...hosts.map((host) => ({ host, http: true })), { host: 'secure.test' }] }),
      secrets: () => undefined,
      logger: capturedLogger().logger,
      lookup: dns(),
    });
  });
  afterAll(() => requester.close());

  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${api.port}/`],
    ['the same address written as a number', () => `http://2130706433:${api.port}/`],
    ['the same address in hex', () => `http://0x7f.0.0.1:${api.port}/`],
    ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['10.0.0.1', () => 'http://10.0.0.1/'],
    ['[::1]', () => `http://[::1]:${api.port}/`],
    ['a name resolving to 10.0.0.1', () => 'http://private.test/'],
    ['a name resolving to 127.0.0.1', () => `http://local.test:${api.port}/`],
    ['a name resolving to 169.254.169.254', () => 'http://metadata.test/'],
    ['a name with one private address among public ones', () => 'http://mixed.test/'],
    ['a name resolving to an IPv4-mapped loopback', () => `http://mapped.test:${api.port}/`],
  ])('refuses %s unless its host allows private addresses, sending nothing', async (_what, url) => {
    const before = api.received.length;
    expect(await requester.request(get(url()))).toEqual({ kind: 'refused', reason: 'private_address' });
    expect(api.received.length).toBe(before);
  });

  it('refuses a host not on the list, http to an https-only host, and other schemes', async () => {
    expect(await requester.request(get(`http://elsewhere.test:${api.port}/`))).toEqual({
      kind: 'refused',
      reason: 'host_not_allowed',
    });
    expect(await requester.request(get('http://secure.test/'))).toEqual({ kind: 'refused', reason: 'scheme' });
    expect(await requester.request(get('ftp://secure.test/'))).toEqual({ kind: 'refused', reason: 'scheme' });
    expect(await requester.request(get('file:///etc/passwd'))).toEqual({ kind: 'refused', reason: 'scheme' });
    expect(await requester.request(get('not a url'))).toEqual({ kind: 'refused', reason: 'bad_url' });
    expect(await requester.request(get('https://user:pw@secure.test/'))).toEqual({ kind: 'refused', reason: 'bad_url' });
  });

  it('checks the address the socket actually connected to, not only the lookup (an IP literal skips the lookup)', async () => {
    const before = api.received.length;
    const agent = guardedAgent(fakeDns({}), false, 5_000);
    const err = await request(`http://127.0.0.1:${api.port}/`, { dispatcher: agent }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await agent.close();
    expect(isAddressRefused(err)).toBe(true);
    expect(api.received.length).toBe(before);
  });

  it('reaches the same local server once its host entry says private: true', async () => {
    const allowed = createRequester({
      settings: settingsOf({ hosts: [{ host: 'local.test', http: true, private: true }] }),
      secrets: () => undefined,
      logger: capturedLogger().logger,
      lookup: dns(),
    });
    expect(await allowed.request(get(`http://local.test:${api.port}/`))).toMatchObject({ kind: 'response', status: 200 });
    await allowed.close();
  });
});

describe('caps and secrets', () => {
  const log = capturedLogger();
  const SECRET = 'sk_live_5up3r-s3cr3t-value';
  let requester: Requester;
  beforeAll(() => {
    requester = createRequester({
      settings: settingsOf({
        hosts: [{ host: 'shop.test', http: true, private: true }],
        max_response_bytes: 256 * 1024,
        secrets: ['SHOP_TOKEN', 'UNSET_TOKEN'],
      }),
      secrets: (name) => ({ SHOP_TOKEN: SECRET, NOT_LISTED: 'listed-nowhere' })[name],
      logger: log.logger,
      lookup: fakeDns({ 'shop.test': '127.0.0.1' }),
    });
  });
  afterAll(() => requester.close());

  it('cuts a 50 MB body off at the cap and closes its connection, reading a small part of it', async () => {
    const outcome = await requester.request(get(`http://shop.test:${api.port}/big`));
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'too_large' });
    // The server saw the connection close long before it could write 50 MB: the body was never all read, let alone kept.
    await waitFor('the server to see the close', () => (streamed.closedEarly ? true : undefined));
    expect(streamed.bytes).toBeLessThan(FIFTY_MB / 4);
  });

  it('refuses a body whose Content-Length is over the cap without reading it', async () => {
    expect(await requester.request(get(`http://shop.test:${api.port}/big-declared`))).toMatchObject({
      kind: 'failed',
      reason: 'too_large',
    });
  });

  it('sends a listed secret in its header and never lets its value into logs or outcomes', async () => {
    const outcomes = [
      await requester.request(
        get(`http://shop.test:${api.port}/`, { headers: { authorization: 'Bearer {{secret.SHOP_TOKEN}}' } }),
      ),
      // A failure (nothing listens) with the secret in the headers: its error must not carry it either.
      await requester.request(get('http://shop.test:9/', { headers: { authorization: 'Bearer {{ secret.SHOP_TOKEN }}' } })),
    ];
    expect(api.received.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(outcomes[1]).toMatchObject({ kind: 'failed', reason: 'network' });
    expect(JSON.stringify(outcomes)).not.toContain(SECRET);
    expect(log.text()).not.toContain(SECRET);
    expect(log.text()).not.toContain('5up3r');
  });

  it('refuses a header whose secret is not listed, not set, or not a secret at all, sending nothing', async () => {
    const before = api.received.length;
    const url = `http://shop.test:${api.port}/`;
    for (const value of ['{{secret.NOT_LISTED}}', '{{secret.UNSET_TOKEN}}', 'x {{secret.NOPE}}'])
      expect(await requester.request(get(url, { headers: { authorization: value } }))).toEqual({
        kind: 'refused',
        reason: 'secret_missing',
      });
    expect(await requester.request(get(url, { headers: { host: 'evil.test' } }))).toEqual({
      kind: 'refused',
      reason: 'bad_header',
    });
    expect(await requester.request(get(url, { headers: { 'x-a': 'line\r\nInjected: 1' } }))).toEqual({
      kind: 'refused',
      reason: 'bad_header',
    });
    expect(api.received.length).toBe(before);
    expect(log.text()).not.toContain('listed-nowhere');
  });
});
