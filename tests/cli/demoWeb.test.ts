/**
 * The demo page's routes over HTTP (src/cli/demoWeb.ts), on the built demo run as a child process
 * as a user runs it: the page and its bundle, a customer action posted as JSON reaching the bot
 * through the signed webhook and the bot's answer arriving on the stream for that customer only,
 * and every malformed request refused with a status and a message. Under `serve` none of these
 * routes exists.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_EVENT_BODY_LIMIT, startDemoWeb, type DemoWeb } from '../../src/cli/demoWeb';
import type { DemoStreamEvent } from '../../src/cli/demoWebStream';
import { startShopDemo, type CliRun, type ShopDemo } from '../support/spawnDemo';
import { spawnService, type SpawnedService } from '../support/spawnService';
import { openSse, type SseClient } from '../support/sseClient';
import { testEnv } from '../support/testEnv';
import { signBody } from '../../src/webhook/verifySignature';
import { post, waitFor } from '../support/webhookClient';

let shop: ShopDemo | undefined;
let demo: CliRun;
let port: number;
const streams: SseClient[] = [];

const postAction = (body: string, contentType = 'application/json') =>
  post(port, '/demo/api/events', body, { 'content-type': contentType });

beforeAll(async () => {
  shop = await startShopDemo('talkshop-demo-web-');
  demo = shop.run;
  port = shop.port;
  await waitFor('the banner', () => demo.lines.find((l) => l.startsWith('  say hi:')));
});
afterAll(async () => {
  for (const s of streams) s.close();
  await shop?.stop();
});

it("prints the page's URL in its banner, and serves the page, its script and its style from itself only", async () => {
  expect(demo.lines).toContain(
    `  page      http://127.0.0.1:${port}/demo/  (open it in a browser: customers on Messenger talk to the bot)`,
  );
  const page = await fetch(`http://127.0.0.1:${port}/demo/`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  const html = await page.text();
  expect(html).toContain('<script type="module" src="demo.js"></script>');
  expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from another host
  const script = await fetch(`http://127.0.0.1:${port}/demo/demo.js`);
  expect(script.status).toBe(200);
  expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(await script.text()).toContain('api/stream');
  expect((await fetch(`http://127.0.0.1:${port}/demo/demo.css`)).status).toBe(200);
  const bare = await fetch(`http://127.0.0.1:${port}/demo`, { redirect: 'manual' });
  expect([bare.status, bare.headers.get('location')]).toEqual([308, '/demo/']);
  expect((await fetch(`http://127.0.0.1:${port}/demo/other.js`)).status).toBe(404);
});

it('a customer action goes through the signed webhook; the bot answers on the stream, for that customer only', async () => {
  const stream = await openSse(port, '/demo/api/stream');
  streams.push(stream);
  expect(stream.status).toBe(200);
  const events = () => stream.frames.map((f) => JSON.parse(f.data) as DemoStreamEvent);
  const said = (customer: string, text: string) =>
    events().some((e) => e.customer === customer && e.kind === 'message' && 'text' in e.message && e.message.text.includes(text));

  const sent = await postAction(JSON.stringify({ customer: 'http-1', type: 'text', text: 'hi' }));
  expect([sent.status, JSON.parse(sent.body)]).toEqual([202, { accepted: true }]);
  await waitFor('the welcome on the stream', () =>
    said('http-1', 'Hi Sam! Welcome to Northwind Outfitters') ? true : undefined,
  );
  const menu = await waitFor('the menu', () =>
    events().find((e) => e.customer === 'http-1' && e.kind === 'message' && e.message.quick_replies !== undefined),
  );
  const shop =
    menu.kind === 'message' ? menu.message.quick_replies?.find((q) => 'title' in q && q.title === 'Shop shoes') : undefined;
  expect(shop).toBeDefined();

  // The quick reply's payload, tapped: the next node answers.
  const tap = {
    customer: 'http-1',
    type: 'quick_reply',
    title: 'Shop shoes',
    payload: shop && 'payload' in shop ? shop.payload : '',
  };
  expect((await postAction(JSON.stringify(tap))).status).toBe(202);
  await waitFor('the size question', () => (said('http-1', "What's your EU shoe size?") ? true : undefined));
  expect(events().every((e) => e.customer === 'http-1')).toBe(true);
});

describe('refuses what is not a customer action', () => {
  it.each([
    ['a body that is not JSON', '{"customer":', 400, 'the body is not JSON'],
    ['an unknown action', JSON.stringify({ customer: 'c-1', type: 'dance' }), 400, 'not a customer action'],
    ['an action without a customer', JSON.stringify({ type: 'text', text: 'hi' }), 400, 'not a customer action'],
    [
      'a body over the cap',
      JSON.stringify({ customer: 'c-1', type: 'text', text: 'x'.repeat(DEMO_EVENT_BODY_LIMIT) }),
      413,
      'at most',
    ],
  ])('%s', async (_what, body, status, error) => {
    const res = await postAction(body);
    expect(res.status).toBe(status);
    expect((JSON.parse(res.body) as { error: string }).error).toContain(error);
  });

  it('a body that is not sent as JSON (as a form from another site would be): 415', async () => {
    const res = await postAction(JSON.stringify({ customer: 'c-1', type: 'text', text: 'hi' }), 'text/plain');
    expect(res.status).toBe(415);
  });

  it('the wrong method: 405', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/demo/api/events`)).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${port}/demo/api/stream`, { method: 'POST' })).status).toBe(405);
  });
});

it('under `serve` the page and its API do not exist', async () => {
  let service: SpawnedService | undefined;
  try {
    service = await spawnService(testEnv({ REDIS_URL: undefined, REDIS_KEY_PREFIX: undefined }));
    for (const [method, path] of [
      ['GET', '/demo/'],
      ['GET', '/demo/demo.js'],
      ['POST', '/demo/api/events'],
      ['GET', '/demo/api/stream'],
      // The page's admin proxy (demoWebAdmin.ts): never a way into a production admin API.
      ['GET', '/demo/api/admin/threads'],
      ['POST', '/demo/api/admin/users/c-1/resume'],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${service.port}${path}`, {
        method,
        ...(method === 'POST'
          ? { body: '{"customer":"c-1","type":"text","text":"hi"}', headers: { 'content-type': 'application/json' } }
          : {}),
      });
      expect([path, res.status]).toEqual([path, 404]);
    }
  } finally {
    service?.proc.kill('SIGTERM');
    await service?.exited();
  }
});

describe('in-process: the failure modes around the webhook and the build', () => {
  let server: Server;
  let web: DemoWeb;
  let webPort: number;
  let webhook: Server;
  let webhookUrl: string;
  const received: Array<{ signature: string | undefined; body: string }> = [];
  let webhookStatus = 200;
  const noBuild = mkdtempSync(join(tmpdir(), 'talkshop-no-build-'));

  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ signature: req.headers['x-hub-signature-256'] as string | undefined, body });
        res.writeHead(webhookStatus).end(webhookStatus === 200 ? 'EVENT_RECEIVED' : 'busy');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/webhooks/messenger`;
    web = startDemoWeb({
      appSecret: 'demo-secret',
      pageId: 'demo-page',
      now: () => 1_790_000_000_000,
      onCall: () => () => undefined,
      webDir: noBuild,
    });
    server = createServer((req, res) => {
      if (!web.route(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webPort = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    web.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
    rmSync(noBuild, { recursive: true, force: true });
  });
  const act = () =>
    post(webPort, '/demo/api/events', JSON.stringify({ customer: 'c-1', type: 'text', text: 'hi' }), {
      'content-type': 'application/json',
    });

  it('an unbuilt page answers 503 saying to build', async () => {
    const res = await fetch(`http://127.0.0.1:${webPort}/demo/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('run `npm run build`');
  });

  it('before the webhook listens, an action is refused with 503 and nothing is posted', async () => {
    expect((await act()).status).toBe(503);
    expect(received).toEqual([]);
  });

  it("an action is posted signed with the demo's app secret; a webhook that refuses it is reported as 502", async () => {
    web.attach(webhookUrl);
    expect((await act()).status).toBe(202);
    expect(received).toHaveLength(1);
    expect(received[0]!.signature).toBe(signBody(received[0]!.body, 'demo-secret'));
    expect(JSON.parse(received[0]!.body)).toMatchObject({
      object: 'page',
      entry: [{ id: 'demo-page', messaging: [{ sender: { id: 'c-1' }, message: { text: 'hi' } }] }],
    });
    webhookStatus = 503;
    const refused = await act();
    expect(refused.status).toBe(502);
    expect(JSON.parse(refused.body)).toEqual({ error: 'the webhook answered 503', webhook: 'busy' });
  });

  it('a webhook that is not there is reported as 502', async () => {
    web.attach('http://127.0.0.1:9/webhooks/messenger');
    const res = await act();
    expect(res.status).toBe(502);
    expect((JSON.parse(res.body) as { error: string }).error).toContain('posting to the webhook failed');
  });
});
