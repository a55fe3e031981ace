/**
 * The demo's fake shop API on its own: seeded orders (dates move with the clock it is given),
 * 404 for other numbers, 500500 answers 500, 999999 is held until the caller gives up (and stop()
 * closes it), a taken port is reported by the listen error, and isDemoShop tells the demo's shop
 * from another program.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEMO_ORDERS,
  isDemoShop,
  orderAnswer,
  orderNumberOf,
  startFakeShopApi,
  type FakeShopApi,
  type ShopCall,
} from '../../src/emulator/fakeShopApi';
import { waitFor } from '../support/webhookClient';

// Tuesday 2026-12-01 10:00 UTC.
const NOW = Date.UTC(2026, 11, 1, 10);
let shop: FakeShopApi;

beforeAll(async () => {
  shop = await startFakeShopApi({ port: 0, now: () => NOW, timeZone: 'UTC' });
});
afterAll(() => shop.stop());

const getJson = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${shop.url}${path}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('GET /api/orders/:number', () => {
  it('answers a seeded order with its status, carrier, items and the delivery day from the clock', async () => {
    const { status, body } = await getJson('/api/orders/104233');
    expect(status).toBe(200);
    expect(body).toEqual({
      order: {
        number: '104233',
        status: 'shipped',
        carrier: 'DHL',
        eta: '2026-12-03',
        eta_day: 'Thursday',
        items: [{ id: 'trail-pro', name: 'Trail Pro', size: 42, quantity: 1 }],
        tracking_url: 'https://shop.example.com/orders/104233',
      },
    });
    expect(shop.calls.at(-1)).toEqual({ method: 'GET', path: '/api/orders/104233', status: 200, orderStatus: 'shipped' });
  });

  it('has one order in each status, a delivered one in the past', async () => {
    expect(new Set(DEMO_ORDERS.map((o) => o.status))).toEqual(new Set(['processing', 'shipped', 'delivered']));
    const delivered = DEMO_ORDERS.find((o) => o.status === 'delivered')!;
    expect(orderAnswer(delivered, NOW, 'UTC').order).toMatchObject({ eta: '2026-11-30', eta_day: 'Monday' });
  });

  it('reads a number typed with a leading # (percent-encoded in the URL)', async () => {
    expect((await getJson('/api/orders/%23104234')).body).toMatchObject({ order: { number: '104234', status: 'processing' } });
    expect(orderNumberOf('/api/orders/%E0%A4%A')).toBeUndefined(); // a broken escape is no number
    expect(orderNumberOf('/api/orders/10423x')).toBeUndefined();
  });

  it('answers 404 for a number it does not know, and for other paths', async () => {
    expect(await getJson('/api/orders/123456')).toEqual({ status: 404, body: { error: 'no order 123456' } });
    expect((await getJson('/api/customers/1')).status).toBe(404);
  });

  it('answers 500 for 500500 and 405 for a method it does not serve', async () => {
    expect((await getJson('/api/orders/500500')).status).toBe(500);
    const post = await getJson('/api/orders/104233', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
  });

  it('never answers 999999: the request stays open until the caller gives up', async () => {
    const seen: ShopCall[] = [];
    shop.onCall((c) => seen.push(c));
    const aborted = fetch(`${shop.url}/api/orders/999999`, { signal: AbortSignal.timeout(300) }).then(
      () => 'answered',
      (err: Error) => err.name,
    );
    await waitFor('the shop to hold the request', () => seen.find((c) => c.status === 'held'));
    expect(await aborted).toBe('TimeoutError');
  });
});

it('stop() closes a held request, and the port can be taken again', async () => {
  const own = await startFakeShopApi({ port: 0 });
  const outcome = new Promise<string>((resolve) => {
    const req = request(`${own.url}/api/orders/999999`, (res) => resolve(`answered ${res.statusCode}`));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
  await waitFor('the shop to hold it', () => own.calls.find((c) => c.status === 'held'));
  await own.stop();
  expect(await outcome).toBe('ECONNRESET');
  const again = await startFakeShopApi({ port: own.port });
  await again.stop();
});

it('a taken port rejects with EADDRINUSE; isDemoShop tells the demo shop from another program', async () => {
  await expect(startFakeShopApi({ port: shop.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  expect(await isDemoShop(shop.url)).toBe(true);
  const other: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":1}'));
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const port = (other.address() as AddressInfo).port;
  expect(await isDemoShop(`http://127.0.0.1:${port}`)).toBe(false);
  await new Promise<void>((resolve) => other.close(() => resolve()));
  expect(await isDemoShop(`http://127.0.0.1:${port}`)).toBe(false); // nothing listens
});
