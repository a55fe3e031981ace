/**
 * Issue #12, item 5: the demo's shop is real. The built demo runs as a child process, as a user
 * runs it, with a copy of flows/ whose shop URL names a free port (DEMO_SHOP_PORT moves the fake
 * shop there, so a demo the user keeps running on 3939 is left alone). Through the signed webhook:
 * "order status" → a number → the order's real status from the fake shop, "not found" (404), "the
 * shop is not answering" (500, and no answer until the flow's timeout); "shoes" → a size → a
 * carousel from flows/catalogs/products.csv with only shoes in that size, cheapest first, which the
 * fake Graph API accepted (the demo prints only calls it answered 200), the saved size used again,
 * and the catalog's empty branch. Every wait is on a condition.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_IDENTITY } from '../../src/cli/demoEnv';
import { DEMO_SHOP_PORT_ENV, demoShopPort } from '../../src/cli/demoShop';
import { textMessageBody } from '../../src/cli/sendEvent';
import { DEMO_SHOP_PORT, type ShopOrderAnswer } from '../../src/emulator/fakeShopApi';
import { loadCatalogFile } from '../../src/flows/loadCatalog';
import { demoReady, runCli, stopRun, type CliRun } from '../support/spawnDemo';
import { DEMO_DISCLOSURE } from '../support/demoDisclosure';
import { postSigned, waitFor } from '../support/webhookClient';

const ROOT = join(__dirname, '..', '..');
const SHOP_URL = `http://127.0.0.1:${DEMO_SHOP_PORT}/api/orders/`;

let cwd: string;
let demo: CliRun;
let shopPort = 0;
let mids = 0;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return free;
}

/** A working directory whose flows/ is a copy of the shipped one, its shop URL on `shopUrlPort`. */
async function demoDir(shopUrlPort: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-demo-shop-'));
  cpSync(join(ROOT, 'flows'), join(dir, 'flows'), { recursive: true });
  const shopFile = join(dir, 'flows', 'shop.yaml');
  const flow = readFileSync(shopFile, 'utf8');
  expect(flow).toContain(SHOP_URL); // the shipped flow asks the port the demo serves by default
  writeFileSync(shopFile, flow.replaceAll(SHOP_URL, `http://127.0.0.1:${shopUrlPort}/api/orders/`));
  return dir;
}

interface Demo {
  readonly run: CliRun;
  readonly port: number;
}
let main: Demo;

async function startDemo(env: Record<string, string>, dir: string): Promise<Demo> {
  const run = runCli(['demo'], { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, dir);
  const ready = await demoReady(run);
  await waitFor('the banner', () => run.lines.find((l) => l.startsWith('  say hi:')));
  return { run, port: Number(ready.port) };
}

beforeAll(async () => {
  shopPort = await freePort();
  cwd = await demoDir(shopPort);
  main = await startDemo({ [DEMO_SHOP_PORT_ENV]: String(shopPort) }, cwd);
  demo = main.run;
});
afterAll(async () => {
  if (demo) await stopRun(demo);
  rmSync(cwd, { recursive: true, force: true });
});

async function say(psid: string, text: string, to: Demo = main): Promise<void> {
  const body = textMessageBody(DEMO_IDENTITY.MESSENGER_PAGE_ID, psid, text, Date.now(), `m_shop_${++mids}`);
  expect((await postSigned(to.port, body, undefined, DEMO_IDENTITY.MESSENGER_APP_SECRET)).status).toBe(200);
}
/** A demo's printed replies to `psid`, without the "bot → psid: " prefix. */
const replies = (psid: string, to: Demo = main): string[] =>
  to.run.lines.filter((l) => l.startsWith(`bot → ${psid}: `)).map((l) => l.slice(`bot → ${psid}: `.length));
/** A reply that starts with `start`, or a new customer's first one, which opens with the disclosure (one line, ' / ' between its lines). */
const replied = (psid: string, start: string, to: Demo = main) =>
  waitFor(`the demo to tell ${psid} "${start}"`, () =>
    replies(psid, to).find(
      (r) => r.startsWith(start) || (r.startsWith(DEMO_DISCLOSURE.split('\n', 1)[0] ?? '') && r.includes(` / ${start}`)),
    ),
  );

async function orderStatus(psid: string, number: string, to: Demo = main): Promise<void> {
  await say(psid, 'order status', to);
  await replied(psid, "Sure! What's your order number?", to);
  await say(psid, number, to);
  await replied(psid, `Let me check order ${number}…`, to);
}

it('prints where its shop is and which orders to try', () => {
  expect(demo.lines).toContain(
    `  shop API  http://127.0.0.1:${shopPort}/api/orders/<number>  (fake shop: orders 104233 shipped, 104234 processing, 104235 delivered; 500500 fails, 999999 never answers)`,
  );
  expect(demo.stderr()).toBe('');
});

it('order status → 104233 → the status, carrier and day the shop answers', async () => {
  const res = await fetch(`http://127.0.0.1:${shopPort}/api/orders/104233`);
  const { order } = (await res.json()) as ShopOrderAnswer;
  await orderStatus('shop-found', '104233');
  const answer = await replied('shop-found', 'Order 104233 is ');
  expect(answer).toBe(
    `Order 104233 is on its way with DHL, expected ${order.eta_day}. <Track order> <Talk to a person> <Menu>   (RESPONSE)`,
  );
  expect(demo.lines).toContain('shop ← GET /api/orders/104233: 200 (shipped)');
});

it.each([
  ['104234', 'Order 104234 is being packed. It leaves with UPS soon, expected '],
  ['104235', 'Order 104235 was delivered '],
])('order %s → its own status', async (number, start) => {
  await orderStatus(`shop-${number}`, number);
  await replied(`shop-${number}`, start);
});

it('an unknown number → not found, with a way to try again; the next try works', async () => {
  await orderStatus('shop-unknown', '123456');
  expect(await replied('shop-unknown', "I can't find order 123456.")).toBe(
    "I can't find order 123456. Could you check the number?  [Try again] [Talk to a person] [Back to menu]   (RESPONSE)",
  );
  expect(demo.lines).toContain('shop ← GET /api/orders/123456: 404');
  await orderStatus('shop-unknown', '#104233');
  await replied('shop-unknown', 'Order #104233 is on its way with DHL');
});

it.each([
  ['500500', 'shop ← GET /api/orders/500500: 500'],
  ['999999', 'shop ← GET /api/orders/999999: no answer (the flow times out)'],
])('order %s → "the shop is not answering"', async (number, shopLine) => {
  const psid = `shop-down-${number}`;
  await orderStatus(psid, number);
  expect(await replied(psid, 'The shop is not answering')).toBe(
    'The shop is not answering right now, sorry. Please try again in a few minutes.  [Try again] [Talk to a person] [Back to menu]   (RESPONSE)',
  );
  expect(demo.lines).toContain(shopLine);
});

it('a customer who writes while the shop is silent is asked to wait, then told the shop is not answering', async () => {
  const psid = 'shop-impatient';
  const held = 'shop ← GET /api/orders/999999: no answer (the flow times out)';
  const heldBefore = demo.lines.filter((l) => l === held).length;
  await orderStatus(psid, '999999');
  await waitFor('the shop to hold the request', () =>
    demo.lines.filter((l) => l === held).length > heldBefore ? true : undefined,
  );
  await say(psid, 'are you still there?'); // no keyword: not a new request, the wait goes on
  await replied(psid, 'One moment, I am checking…');
  await replied(psid, 'The shop is not answering right now');
});

it("a taken shop port: another demo's shop is shared; another program is reported, the demo runs, and with nothing at its flow's URL order status says the shop is not answering; a bad DEMO_SHOP_PORT stops it", async () => {
  const foreign = createServer((req) => req.socket.destroy());
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  const foreignPort = (foreign.address() as AddressInfo).port;
  // As `npm start` on the shipped flows: nothing listens where the flow asks.
  const silentDir = await demoDir(await freePort());
  const started = await Promise.allSettled([
    startDemo({ [DEMO_SHOP_PORT_ENV]: String(shopPort) }, cwd),
    startDemo({ [DEMO_SHOP_PORT_ENV]: String(foreignPort) }, silentDir),
  ]);
  try {
    const [shared, blocked] = started.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    }) as [Demo, Demo];
    expect(shared.run.stderr()).toBe(
      `demo: the fake shop API on http://127.0.0.1:${shopPort} is another demo's; its orders answer this one too\n`,
    );
    expect(blocked.run.stderr()).toContain(
      `demo: error: cannot serve the fake shop API on http://127.0.0.1:${foreignPort} (EADDRINUSE: another program has the port)`,
    );
    expect(blocked.run.stderr()).toContain(
      `set ${DEMO_SHOP_PORT_ENV}=<free port> and change ${DEMO_SHOP_PORT} in the URL in flows/shop.yaml`,
    );
    await orderStatus('shop-shared', '104233', shared);
    await replied('shop-shared', 'Order 104233 is on its way with DHL', shared);
    await orderStatus('shop-nobody', '104233', blocked);
    await replied('shop-nobody', 'The shop is not answering right now', blocked);
  } finally {
    await Promise.all(started.flatMap((r) => (r.status === 'fulfilled' ? [stopRun(r.value.run)] : [])));
    await new Promise<void>((resolve) => foreign.close(() => resolve()));
    rmSync(silentDir, { recursive: true, force: true });
  }
  const bad = runCli(['demo'], { PORT: '0', HOST: '127.0.0.1', [DEMO_SHOP_PORT_ENV]: 'shop' }, cwd);
  expect(await bad.exit).toBe(2);
  expect(bad.stderr()).toBe(
    'demo: DEMO_SHOP_PORT expects a port from 1 to 65535 (where the demo serves its fake shop API); got "shop"\n',
  );
});

/** The catalog's products (title → sizes, price), read with the service's own loader. */
function catalog(): Map<string, { sizes: number[]; price: number }> {
  const loaded = loadCatalogFile(join(ROOT, 'flows', 'catalogs', 'products.csv'));
  if (!loaded.ok) throw new Error('flows/catalogs/products.csv does not load');
  return new Map(
    loaded.catalog.items.map(({ product: p }) => {
      const sizes = p.attributes.sizes;
      return [p.title, { sizes: (Array.isArray(sizes) ? sizes : [sizes]).map(Number), price: p.price ?? NaN }];
    }),
  );
}

it('shoes → a size → cards of shoes in that size only, cheapest first; shoes again uses the saved size', async () => {
  const psid = 'shop-shoes';
  await say(psid, 'shop shoes'); // as README's quick start types it
  await replied(psid, "What's your EU shoe size? (35–48)");
  await say(psid, '42');
  await replied(psid, "Here's what we have in EU 42, cheapest first:");
  const carousel = await replied(psid, 'carousel: ');
  const titles = carousel
    .replace(/^carousel: /, '')
    .replace(/ {3}\(RESPONSE\)$/, '')
    .split(' | ');
  const products = catalog();
  const inSize = [...products.values()].filter((p) => p.sizes.includes(42));
  expect(titles).toHaveLength(Math.min(10, inSize.length));
  const prices = titles.map((t) => {
    const p = products.get(t);
    expect(p?.sizes).toContain(42);
    return p!.price;
  });
  // Cheapest first, and the cheapest of all the shoes in size 42.
  expect(prices).toEqual(
    inSize
      .map((p) => p.price)
      .sort((a, b) => a - b)
      .slice(0, titles.length),
  );
  await replied(psid, 'Tap a card to see more.');

  const before = replies(psid).length;
  await say(psid, 'shoes');
  await waitFor('the cards again', () =>
    replies(psid)
      .slice(before)
      .some((r) => r.startsWith('carousel: '))
      ? true
      : undefined,
  );
  expect(
    replies(psid)
      .slice(before)
      .some((r) => r.startsWith("What's your EU shoe size?")),
  ).toBe(false);
});

it("a size no shoe comes in → the catalog's empty branch", async () => {
  const psid = 'shop-no-size';
  expect([...catalog().values()].some((p) => p.sizes.includes(35))).toBe(false);
  await say(psid, 'shoes');
  await replied(psid, "What's your EU shoe size?");
  await say(psid, '35');
  await replied(psid, 'Sorry, nothing in EU 35 right now.');
  await replied(psid, 'Most of our shoes come in EU 36–47.');
  expect(replies(psid).some((r) => r.startsWith('carousel: '))).toBe(false);
});

it('DEMO_SHOP_PORT is checked', () => {
  expect(demoShopPort(undefined)).toEqual({ ok: true, port: DEMO_SHOP_PORT });
  expect(demoShopPort('4040')).toEqual({ ok: true, port: 4040 });
  for (const bad of ['0', '70000', 'abc', '12.5', '-1'])
    expect(demoShopPort(bad)).toMatchObject({ ok: false, message: expect.stringContaining(`got "${bad}"`) });
});
