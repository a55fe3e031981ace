import type { IncomingMessage, ServerResponse } from 'node:http';
import { readCappedBody } from './demoWebBody';

/**
 * The demo page's way to the demo's admin API (README "Try the demo"): the agent's and the
 * marketer's panels call `/demo/api/admin/<path>` on the page's own origin, and the demo forwards
 * the call to its admin API on loopback with its own token (DEMO_ADMIN_TOKEN, operator). The page
 * never holds a token, and the browser needs no cross-origin access to the admin port.
 *
 * Only what the panels need passes (DEMO_ADMIN_ALLOWED); anything else is 404 here, before the
 * admin API sees it (exporting or forgetting a user, funnels, consent, insights stay out). It
 * exists on the demo's listener only (demoWeb.ts), never under `serve`.
 */

export const DEMO_ADMIN_PREFIX = '/demo/api/admin';
/** The admin API's own cap (ADMIN_BODY_LIMIT, 64 KB): a reply text or a broadcast definition. */
export const DEMO_ADMIN_BODY_LIMIT = 64 * 1024;
/** A path with its query: a PSID, an id, an audience filter. Far above anything the panels send. */
const PATH_LIMIT = 2048;
/** The admin API answers in milliseconds; a stuck one is reported rather than waited on. */
const ADMIN_TIMEOUT_MS = 10_000;

const SEGMENT = '[^/?#]{1,200}';
/** Method and path (under /admin, without the query) the page may call; `SEGMENT` is one path segment. */
export const DEMO_ADMIN_ALLOWED: ReadonlyArray<{ method: 'GET' | 'POST'; path: RegExp }> = [
  // The agent's inbox: threads with a person, a user's state, replying, pausing and resuming the bot.
  { method: 'GET', path: /^\/threads$/ },
  { method: 'GET', path: new RegExp(`^/users/${SEGMENT}$`) },
  { method: 'POST', path: new RegExp(`^/users/${SEGMENT}/(messages|pause|resume)$`) },
  // The marketer's tools: audience counts, broadcasts, sequences.
  { method: 'GET', path: /^\/audience\/count$/ },
  { method: 'GET', path: /^\/broadcasts$/ },
  { method: 'POST', path: /^\/broadcasts$/ },
  { method: 'GET', path: new RegExp(`^/broadcasts/${SEGMENT}$`) },
  { method: 'POST', path: new RegExp(`^/broadcasts/${SEGMENT}/(pause|resume|cancel|test)$`) },
  { method: 'GET', path: /^\/sequences$/ },
  { method: 'GET', path: new RegExp(`^/sequences/${SEGMENT}$`) },
  { method: 'POST', path: new RegExp(`^/users/${SEGMENT}/sequences$`) },
];

/** Whether the page may make this call; `path` is under /admin, without the query. */
export const demoAdminAllowed = (method: string, path: string): boolean =>
  // A `.` or `..` segment would be resolved away by the URL the call is forwarded to: another route.
  !path.split('/').some((s) => /^(\.|%2e){1,2}$/i.test(s)) &&
  DEMO_ADMIN_ALLOWED.some((r) => r.method === method && r.path.test(path));

type Reply = { status: number; body: Record<string, unknown> };

export interface DemoAdminProxy {
  /** Answers a request under DEMO_ADMIN_PREFIX. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Where the demo's admin API listens (its /admin), once it does. */
  attach(adminUrl: string): void;
}

export function createDemoAdminProxy(token: string): DemoAdminProxy {
  let adminUrl: string | undefined;

  async function forward(req: IncomingMessage): Promise<Reply | { status: number; text: string }> {
    const url = req.url ?? '';
    if (url.length > PATH_LIMIT) return { status: 414, body: { error: `a path is at most ${PATH_LIMIT} characters` } };
    const [pathname = '', query] = url.slice(DEMO_ADMIN_PREFIX.length).split('?', 2) as [string?, string?];
    const method = req.method ?? '';
    if (!demoAdminAllowed(method, pathname))
      return { status: 404, body: { error: `the demo page does not call ${method} /admin${pathname.slice(0, 200)}` } };
    let body: Buffer | undefined;
    if (method === 'POST') {
      // JSON only: a form post from another site (no CORS preflight) cannot act through the demo's token.
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
        return { status: 415, body: { error: 'send admin calls as JSON (content-type: application/json)' } };
      body = await readCappedBody(req, DEMO_ADMIN_BODY_LIMIT);
      if (body === undefined) return { status: 413, body: { error: `an admin call is at most ${DEMO_ADMIN_BODY_LIMIT} bytes` } };
    }
    if (adminUrl === undefined) return { status: 503, body: { error: 'the demo is still starting: try again' } };
    const res = await fetch(`${adminUrl}${pathname}${query === undefined ? '' : `?${query}`}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body && body.length > 0 ? { 'content-type': 'application/json' } : {}),
      },
      body: body && body.length > 0 ? body : undefined,
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text() };
  }

  return {
    attach(url) {
      adminUrl = url;
    },
    handle(req, res) {
      forward(req).then(
        (reply) =>
          res
            .writeHead(reply.status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end('text' in reply ? reply.text : JSON.stringify(reply.body)),
        (err: unknown) =>
          res
            .writeHead(502, { 'content-type': 'application/json', 'cache-control': 'no-store' })
            .end(JSON.stringify({ error: `the demo's admin API did not answer: ${(err as Error).message}` })),
      );
    },
  };
}
