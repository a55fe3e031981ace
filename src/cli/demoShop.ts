import {
  DEMO_ORDERS,
  DEMO_SHOP_HOST,
  DEMO_SHOP_PORT,
  FAILING_ORDER,
  isDemoShop,
  SILENT_ORDER,
  startFakeShopApi,
  type FakeShopApi,
  type ShopCall,
} from '../emulator/fakeShopApi';

/**
 * The demo's fake shop API. flows/shop.yaml names its address (127.0.0.1:3939: a flow cannot
 * interpolate a host), so its port is fixed; DEMO_SHOP_PORT moves it for the demo only, together
 * with an edit of that URL in the flows (tests do it on a copy). A taken port does not stop the
 * demo: another demo's shop answers the same; anything else there is reported, and the flow's
 * "the shop is not answering" branch shows what a customer would see.
 */
export const DEMO_SHOP_PORT_ENV = 'DEMO_SHOP_PORT';

export type DemoShopStart =
  | { readonly ok: true; readonly shop?: FakeShopApi; readonly url: string; readonly notice?: string }
  | { readonly ok: false; readonly message: string };

/** DEMO_SHOP_PORT, or the port flows/shop.yaml names. */
export function demoShopPort(raw: string | undefined): { ok: true; port: number } | { ok: false; message: string } {
  if (raw === undefined || raw === '') return { ok: true, port: DEMO_SHOP_PORT };
  const port = Number(raw);
  if (/^\d+$/.test(raw) && port >= 1 && port <= 65535) return { ok: true, port };
  return {
    ok: false,
    message: `${DEMO_SHOP_PORT_ENV} expects a port from 1 to 65535 (where the demo serves its fake shop API); got "${raw.slice(0, 40)}"`,
  };
}

export async function startDemoShop(rawPort: string | undefined, now: () => number): Promise<DemoShopStart> {
  const port = demoShopPort(rawPort);
  if (!port.ok) return port;
  const url = `http://${DEMO_SHOP_HOST}:${port.port}`;
  try {
    return { ok: true, shop: await startFakeShopApi({ port: port.port, now }), url };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    if (code === 'EADDRINUSE' && (await isDemoShop(url)))
      return { ok: true, url, notice: `demo: the fake shop API on ${url} is another demo's; its orders answer this one too` };
    return {
      ok: true,
      url,
      notice:
        `demo: error: cannot serve the fake shop API on ${url} (${code}: another program has the port). "Order status" ` +
        `will answer "the shop is not answering". Stop that program, or set ${DEMO_SHOP_PORT_ENV}=<free port> and ` +
        `change ${DEMO_SHOP_PORT} in the URL in flows/shop.yaml`,
    };
  }
}

/** The banner's line for the shop. */
export function shopBannerLine(url: string): string {
  const orders = DEMO_ORDERS.map((o) => `${o.number} ${o.status}`).join(', ');
  return `  shop API  ${url}/api/orders/<number>  (fake shop: orders ${orders}; ${FAILING_ORDER} fails, ${SILENT_ORDER} never answers)`;
}

/** What the demo prints for a request that reached its shop. */
export function describeShopCall(call: ShopCall): string {
  const outcome =
    call.status === 'held'
      ? 'no answer (the flow times out)'
      : `${call.status}${call.orderStatus ? ` (${call.orderStatus})` : ''}`;
  return `shop ← ${call.method} ${call.path.slice(0, 100)}: ${outcome}`;
}
