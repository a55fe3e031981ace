import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * The demo shop's API (Northwind Outfitters), a real HTTP server on loopback that flows/shop.yaml
 * calls for "order status": a few seeded orders, 404 for any other number, and two numbers that
 * show the flow's failure branches (500500 answers 500, 999999 never answers, so the request times
 * out). Served by `talkshop demo`; tests start it on any port. No test-only imports.
 */

/** Where the demo serves it: flows cannot interpolate a host, so flows/shop.yaml names this port. */
export const DEMO_SHOP_HOST = '127.0.0.1';
export const DEMO_SHOP_PORT = 3939;
export const ORDERS_PATH = '/api/orders/';
/** GET /api/shop: who answers on the port (the demo tells its own shop from another program). */
export const SHOP_ID_PATH = '/api/shop';
export const SHOP_ID = 'talkshop-demo-shop';

/** An order number that always answers 500, and one that never answers (the flow's timeout). */
export const FAILING_ORDER = '500500';
export const SILENT_ORDER = '999999';
/** Requests held open at once (999999) before more are answered 503: a cap, not a resource sink. */
export const MAX_HELD = 64;

export type OrderStatus = 'processing' | 'shipped' | 'delivered';

interface SeedOrder {
  readonly number: string;
  readonly status: OrderStatus;
  readonly carrier: string;
  /** Days from now to the delivery: ahead for an order on its way, behind for a delivered one. */
  readonly days: number;
  readonly items: ReadonlyArray<{ id: string; name: string; size: number; quantity: number }>;
}

/** The seeded orders (README "Try the demo" lists them). */
export const DEMO_ORDERS: readonly SeedOrder[] = [
  {
    number: '104233',
    status: 'shipped',
    carrier: 'DHL',
    days: 2,
    items: [{ id: 'trail-pro', name: 'Trail Pro', size: 42, quantity: 1 }],
  },
  {
    number: '104234',
    status: 'processing',
    carrier: 'UPS',
    days: 4,
    items: [
      { id: 'runner-x', name: 'Runner X', size: 43, quantity: 1 },
      { id: 'night-run', name: 'Night Run', size: 43, quantity: 1 },
    ],
  },
  {
    number: '104235',
    status: 'delivered',
    carrier: 'DHL',
    days: -1,
    items: [{ id: 'daily-walker', name: 'Daily Walker', size: 40, quantity: 2 }],
  },
];

/** What GET /api/orders/:number answers for a seeded order. */
export interface ShopOrderAnswer {
  readonly order: {
    readonly number: string;
    readonly status: OrderStatus;
    readonly carrier: string;
    /** The (expected or actual) delivery date, YYYY-MM-DD, and its weekday ("Thursday"). */
    readonly eta: string;
    readonly eta_day: string;
    readonly items: SeedOrder['items'];
    readonly tracking_url: string;
  };
}

const DAY = 86_400_000;

/** A seeded order as the shop shows it at `now` (dates move with the clock, so "expected Thursday" stays ahead). */
export function orderAnswer(seed: SeedOrder, now: number, timeZone?: string): ShopOrderAnswer {
  const date = new Date(now + seed.days * DAY);
  const part = (options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-US', { timeZone, ...options }).format(date);
  const eta = `${part({ year: 'numeric' })}-${part({ month: '2-digit' })}-${part({ day: '2-digit' })}`;
  return {
    order: {
      number: seed.number,
      status: seed.status,
      carrier: seed.carrier,
      eta,
      eta_day: part({ weekday: 'long' }),
      items: seed.items,
      tracking_url: `https://shop.example.com/orders/${seed.number}`,
    },
  };
}

/** One request the shop received, and how it answered (`held`: never, until the caller gave up). */
export interface ShopCall {
  readonly method: string;
  readonly path: string;
  readonly status: number | 'held';
  /** The order's status when one was found. */
  readonly orderStatus?: OrderStatus;
}

export interface FakeShopApi {
  readonly url: string;
  readonly port: number;
  readonly calls: readonly ShopCall[];
  /** Called for every request once it is answered (or held). */
  onCall(listener: (call: ShopCall) => void): void;
  /** Closes the listener and every connection, held ones included. */
  stop(): Promise<void>;
}

export interface FakeShopOptions {
  /** Default DEMO_SHOP_PORT; 0: any free port. */
  readonly port?: number;
  readonly host?: string;
  /** The demo's business clock (dates of orders move with it). */
  readonly now?: () => number;
  /** For weekdays; default the machine's. */
  readonly timeZone?: string;
}

/** The order number in a path such as /api/orders/104233 (a leading `#` typed by the customer is dropped). */
export function orderNumberOf(path: string): string | undefined {
  if (!path.startsWith(ORDERS_PATH)) return undefined;
  let segment: string;
  try {
    segment = decodeURIComponent(path.slice(ORDERS_PATH.length));
  } catch {
    return undefined;
  }
  const m = /^#?(\d{1,20})$/.exec(segment.trim());
  return m?.[1];
}

/** Starts the shop; rejects with the listen error (EADDRINUSE when the port is taken). */
export async function startFakeShopApi(options: FakeShopOptions = {}): Promise<FakeShopApi> {
  const now = options.now ?? Date.now;
  const calls: ShopCall[] = [];
  const listeners = new Set<(call: ShopCall) => void>();
  const held = new Set<ServerResponse>();
  const record = (call: ShopCall) => {
    calls.push(call);
    if (calls.length > 1000) calls.splice(0, calls.length - 1000);
    for (const listener of listeners) listener(call);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const method = req.method ?? 'GET';
    const reply = (status: number, body: unknown, orderStatus?: OrderStatus) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(method === 'HEAD' ? undefined : JSON.stringify(body));
      record({ method, path, status, ...(orderStatus ? { orderStatus } : {}) });
    };
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return reply(405, { error: `${method} is not served here: the demo shop answers GET ${ORDERS_PATH}<number>` });
    }
    if (path === SHOP_ID_PATH) return reply(200, { shop: SHOP_ID });
    const number = orderNumberOf(path);
    if (number === undefined) return reply(404, { error: `nothing at ${path.slice(0, 200)}: try GET ${ORDERS_PATH}104233` });
    if (number === FAILING_ORDER)
      return reply(500, { error: 'the order database is down (the demo fails this number on purpose)' });
    if (number === SILENT_ORDER) {
      if (held.size >= MAX_HELD) return reply(503, { error: 'too many requests held open' });
      // Never answered: the caller's timeout ends it, or stop() does.
      held.add(res);
      res.once('close', () => held.delete(res));
      return record({ method, path, status: 'held' });
    }
    const seed = DEMO_ORDERS.find((o) => o.number === number);
    if (!seed) return reply(404, { error: `no order ${number}` });
    reply(200, orderAnswer(seed, now(), options.timeZone), seed.status);
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEMO_SHOP_PORT, options.host ?? DEMO_SHOP_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? DEMO_SHOP_HOST}:${port}`,
    port,
    calls,
    onCall: (listener) => void listeners.add(listener),
    stop: () =>
      new Promise<void>((resolve) => {
        listeners.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const shopIdSchema = z.object({ shop: z.literal(SHOP_ID) });

/** Whether the demo shop (this module's, from another demo) answers at `url`; false for anything else or nothing. */
export async function isDemoShop(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}${SHOP_ID_PATH}`, { signal: AbortSignal.timeout(2_000) });
    return res.ok && shopIdSchema.safeParse(await res.json()).success;
  } catch {
    return false;
  }
}
