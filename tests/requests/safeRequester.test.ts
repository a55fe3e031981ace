import { createMetrics } from '../../src/metrics';
import { classifyOutcome, type OutboundRequest } from '../../src/requests/outboundRequest';
import { createRequester, type Requester } from '../../src/requests/safeRequester';
import { waitFor } from '../support/webhookClient';
import { json, localServer, type LocalServer } from './localServer';
import { capturedLogger, fakeDns, settingsOf } from './requesterSupport';

const get = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: 'GET',
  url,
  headers: {},
  timeoutMs: 10_000,
  name: 'order_status',
  ...extra,
});

describe('safe requester against a local API', () => {
  let api: LocalServer;
  let requester: Requester;
  let never: Array<() => void> = [];
  let hungClosed = 0;
  const log = capturedLogger();
  const metrics = createMetrics();
  const base = () => `http://shop.test:${api.port}`;

  beforeAll(async () => {
    api = await localServer((req, res) => {
      if (req.url.split('?')[0] === '/orders/123456') return json(res, 200, { order: { status: 'shipped' } });
      if (req.url === '/orders/404') return json(res, 404, { error: 'no such order' });
      if (req.url === '/boom') return json(res, 500, { error: 'down' });
      if (req.url === '/text') return void res.end('not json');
      if (req.url === '/hang') {
        res.on('close', () => (hungClosed += 1));
        return void never.push(() => res.end('{}'));
      }
      if (req.url === '/elsewhere')
        return void res.writeHead(302, { location: `http://other.test:${api.port}/orders/123456` }).end();
      if (req.url === '/same') return void res.writeHead(301, { location: '/orders/123456' }).end();
      if (req.url === '/echo') return json(res, 200, { method: req.method, body: req.body, type: req.headers['content-type'] });
      json(res, 404, {});
    });
    requester = createRequester({
      settings: settingsOf({
        hosts: [
          { host: 'shop.test', http: true, private: true },
          { host: 'other.test', http: true, private: true },
        ],
      }),
      secrets: () => undefined,
      logger: log.logger,
      metrics,
      lookup: fakeDns({ 'shop.test': '127.0.0.1', 'other.test': '127.0.0.1' }),
    });
  });
  afterAll(async () => {
    never.forEach((end) => end());
    never = [];
    await requester.close();
    await api.close();
  });

  it('returns a found answer with its JSON', async () => {
    const outcome = await requester.request(get(`${base()}/orders/123456`));
    expect(outcome).toMatchObject({ kind: 'response', status: 200, json: { order: { status: 'shipped' } } });
    expect(classifyOutcome(outcome)).toBe('ok');
  });

  it('returns 404 and 500 as responses the engine classes as not found and failed', async () => {
    const missing = await requester.request(get(`${base()}/orders/404`));
    expect(missing).toMatchObject({ kind: 'response', status: 404, json: { error: 'no such order' } });
    expect(classifyOutcome(missing)).toBe('not_found');
    const down = await requester.request(get(`${base()}/boom`));
    expect(down).toMatchObject({ kind: 'response', status: 500 });
    expect(classifyOutcome(down)).toBe('failed');
  });

  it('gives json null for a body that is not JSON', async () => {
    expect(await requester.request(get(`${base()}/text`))).toMatchObject({ kind: 'response', status: 200, json: null });
  });

  it('sends a JSON body with its content type', async () => {
    const outcome = await requester.request(get(`${base()}/echo`, { method: 'POST', body: '{"a":1}' }));
    expect(outcome).toMatchObject({ json: { method: 'POST', body: '{"a":1}', type: 'application/json' } });
  });

  it('times out a server that never answers', async () => {
    const outcome = await requester.request(get(`${base()}/hang`, { timeoutMs: 300 }));
    expect(outcome.kind).toBe('timeout');
    expect(classifyOutcome(outcome)).toBe('timeout');
  });

  it('does not follow a redirect to another host, nor one to the same host', async () => {
    const before = api.received.length;
    expect(await requester.request(get(`${base()}/elsewhere`))).toEqual({ kind: 'refused', reason: 'redirect' });
    expect(await requester.request(get(`${base()}/same`))).toEqual({ kind: 'refused', reason: 'redirect' });
    // Only the two redirecting calls reached the server: neither Location was fetched.
    expect(api.received.slice(before).map((r) => r.url)).toEqual(['/elsewhere', '/same']);
  });

  it('fails fast on a closed port (network) and on a name DNS does not know', async () => {
    const closed = await localServer(() => undefined);
    const port = closed.port;
    await closed.close();
    expect(await requester.request(get(`http://shop.test:${port}/x`))).toMatchObject({ kind: 'failed', reason: 'network' });
    const unknown = createRequester({
      settings: settingsOf({ hosts: [{ host: 'nowhere.test', http: true }] }),
      secrets: () => undefined,
      logger: log.logger,
      lookup: fakeDns({}),
    });
    expect(await unknown.request(get('http://nowhere.test/x'))).toMatchObject({ kind: 'failed', reason: 'network' });
    await unknown.close();
  });

  it('counts every request by name and outcome, and logs name, host, outcome and ms, never the path or query', async () => {
    await requester.request(get(`${base()}/orders/123456?email=someone%40example.com`));
    const text = log.text();
    expect(text).toContain('"request":"order_status"');
    expect(text).toContain(`"host":"shop.test:${api.port}"`);
    expect(text).not.toContain('someone');
    expect(text).not.toContain('/orders/');
    const values = (await metrics.registry.getSingleMetric('talkshop_outbound_requests_total')?.get())?.values ?? [];
    const count = (outcome: string) =>
      values.find((v) => v.labels.outcome === outcome && v.labels.name === 'order_status')?.value;
    expect(count('2xx')).toBe(4);
    expect(count('4xx')).toBe(1);
    expect(count('5xx')).toBe(1);
    expect(count('timeout')).toBe(1);
    expect(count('refused_redirect')).toBe(2);
  });

  it('answers a server that speaks no HTTP as bad_response', async () => {
    const { createServer } = await import('node:net');
    const raw = createServer((s) => s.once('data', () => s.end('garbage\r\n\r\n')));
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    const port = (raw.address() as { port: number }).port;
    const outcome = await requester.request(get(`http://shop.test:${port}/x`, { timeoutMs: 5_000 }));
    await new Promise((r) => raw.close(r));
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'bad_response' });
  });

  it('closes the connection of a request that timed out (the server sees the close)', async () => {
    const closedBefore = hungClosed;
    expect(await requester.request(get(`${base()}/hang`, { timeoutMs: 200 }))).toMatchObject({ kind: 'timeout' });
    await waitFor('the server to see the hung request closed', () => (hungClosed > closedBefore ? true : undefined));
  });
});
