/**
 * The demo page's admin proxy (src/cli/demoWebAdmin.ts) in-process, between a real HTTP server on
 * the page's side and a real HTTP server standing in for the admin API: an allowed call reaches the
 * admin API with the demo's token, its method, path, query and body, and comes back as the admin
 * API answered it; a call the panels do not need, a POST that is not JSON, a body over the cap and
 * a call before the admin API listens are refused here, and the admin API sees none of them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDemoWeb, type DemoWeb } from '../../src/cli/demoWeb';
import { DEMO_ADMIN_BODY_LIMIT, demoAdminAllowed } from '../../src/cli/demoWebAdmin';
import { post } from '../support/webhookClient';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

let admin: Server;
let server: Server;
let web: DemoWeb;
let webPort: number;
let adminUrl: string;
const seen: Seen[] = [];

const listen = (s: Server) =>
  new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
const close = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));

beforeAll(async () => {
  admin = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body,
      });
      res.writeHead(req.url?.includes('missing') ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ echo: req.url }));
    });
  });
  adminUrl = `http://127.0.0.1:${await listen(admin)}/admin`;
  web = startDemoWeb({
    appSecret: 'demo-secret',
    pageId: 'demo-page',
    now: () => 1_790_000_000_000,
    onCall: () => () => undefined,
    adminToken: 'the-demo-token',
  });
  server = createServer((req, res) => {
    if (!web.route(req, res)) res.writeHead(404).end();
  });
  webPort = await listen(server);
});
afterAll(async () => {
  web.stop();
  await close(server);
  await close(admin);
});
beforeEach(() => (seen.length = 0));

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${webPort}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const postJson = (path: string, body: string) => post(webPort, path, body, { 'content-type': 'application/json' });

it('before the admin API listens, a call is refused with 503', async () => {
  expect((await get('/demo/api/admin/threads')).status).toBe(503);
  expect(seen).toEqual([]);
});

it("an allowed call reaches the admin API with the demo's token, path, query and body, and comes back as answered", async () => {
  web.attachAdmin(adminUrl);
  expect(await get('/demo/api/admin/threads')).toEqual({ status: 200, body: { echo: '/admin/threads' } });
  expect(await get('/demo/api/admin/audience/count?where=tag%3Avip')).toEqual({
    status: 200,
    body: { echo: '/admin/audience/count?where=tag%3Avip' },
  });
  const reply = await postJson('/demo/api/admin/users/web-1/messages', JSON.stringify({ text: 'hello' }));
  expect(reply.status).toBe(200);
  const resume = await postJson('/demo/api/admin/users/web-1/resume', '');
  expect(resume.status).toBe(200);
  // The admin API's own statuses pass through.
  expect((await get('/demo/api/admin/users/missing')).status).toBe(404);
  expect(seen.map((s) => [s.method, s.url, s.authorization])).toEqual([
    ['GET', '/admin/threads', 'Bearer the-demo-token'],
    ['GET', '/admin/audience/count?where=tag%3Avip', 'Bearer the-demo-token'],
    ['POST', '/admin/users/web-1/messages', 'Bearer the-demo-token'],
    ['POST', '/admin/users/web-1/resume', 'Bearer the-demo-token'],
    ['GET', '/admin/users/missing', 'Bearer the-demo-token'],
  ]);
  expect(seen[2]).toMatchObject({ contentType: 'application/json', body: '{"text":"hello"}' });
  // A bodyless command goes without a body (the admin API refuses a body on a route that takes none).
  expect(seen[3]).toMatchObject({ contentType: undefined, body: '' });
});

it('what the panels do not need is refused here: export, forget, consent, funnels, other methods', async () => {
  web.attachAdmin(adminUrl);
  expect((await get('/demo/api/admin/users/web-1/export')).status).toBe(404);
  expect((await get('/demo/api/admin/funnels/shop')).status).toBe(404);
  expect((await get('/demo/api/admin/insights/unmatched')).status).toBe(404);
  expect((await postJson('/demo/api/admin/users/web-1/consent', '{}')).status).toBe(404);
  expect((await postJson('/demo/api/admin/threads', '{}')).status).toBe(404);
  expect((await get('/demo/api/admin/users/a/b/messages')).status).toBe(404);
  const del = await fetch(`http://127.0.0.1:${webPort}/demo/api/admin/users/web-1`, { method: 'DELETE' });
  expect(del.status).toBe(404);
  expect(seen).toEqual([]);
  expect(demoAdminAllowed('GET', '/users/web-1')).toBe(true);
  expect(demoAdminAllowed('POST', '/broadcasts/b1/cancel')).toBe(true);
  expect(demoAdminAllowed('DELETE', '/broadcasts/b1')).toBe(false);
  // Dot segments would resolve to another route once forwarded.
  expect(demoAdminAllowed('POST', '/users/../pause')).toBe(false);
  expect(demoAdminAllowed('GET', '/broadcasts/%2E%2e')).toBe(false);
});

it('a POST that is not JSON (a form from another site) or over the cap is refused, unread by the admin API', async () => {
  web.attachAdmin(adminUrl);
  const form = await post(webPort, '/demo/api/admin/users/web-1/pause', 'x=1', {
    'content-type': 'application/x-www-form-urlencoded',
  });
  expect(form.status).toBe(415);
  const big = await postJson('/demo/api/admin/broadcasts', JSON.stringify({ text: 'x'.repeat(DEMO_ADMIN_BODY_LIMIT) }));
  expect(big.status).toBe(413);
  const long = await get(`/demo/api/admin/users/${'a'.repeat(3000)}`);
  expect(long.status).toBe(414);
  expect(seen).toEqual([]);
});

it('an admin API that is not there is reported as 502', async () => {
  web.attachAdmin('http://127.0.0.1:9/admin');
  const res = await get('/demo/api/admin/threads');
  expect(res.status).toBe(502);
  expect(res.body.error).toContain("the demo's admin API did not answer");
});
