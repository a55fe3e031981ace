import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { FakeCommentControls } from '../emulator/fakeComments';
import type { FakeGraphApi } from '../emulator/fakeGraphApi';
import { signBody } from '../webhook/verifySignature';
import { createDemoAdminProxy, DEMO_ADMIN_PREFIX } from './demoWebAdmin';
import { readJsonBody, type DemoReply } from './demoWebBody';
import { createDemoComments } from './demoWebComment';
import { demoActionSchema, demoWebhookBody } from './demoWebEvents';
import { createDemoStream, DEMO_STREAM_DEFAULTS, streamEventOf, type DemoStreamOptions } from './demoWebStream';

/**
 * The demo's web page (README "Try the demo"): a Messenger look-alike where simulated customers
 * talk to the bot. Its routes live on the demo's webhook listener only (server.ts
 * StartOptions.routes), never under `serve`:
 *
 *   GET  /demo/             the page (dist/web/, built by `npm run build` from web/)
 *   POST /demo/api/events   {customer, type, …}: the demo builds the webhook body Meta would send
 *                           (for a customer's action, or a Page Inbox reply or Done), signs it with
 *                           its app secret and posts it to its own /webhooks/messenger
 *   POST /demo/api/comments {customer, text}: a comment under the Page's post; the demo posts the
 *                           Page feed webhook Meta would send (demoWebComment.ts)
 *   GET  /demo/api/stream   server-sent events: what the bot sent each customer (fake Graph API calls)
 *   *    /demo/api/admin/…  the agent's and marketer's panels' calls to the demo's admin API (demoWebAdmin.ts)
 */

export const DEMO_PAGE_PATH = '/demo/';
const EVENTS_PATH = '/demo/api/events';
const STREAM_PATH = '/demo/api/stream';
const COMMENTS_PATH = '/demo/api/comments';

/** A customer action is a few hundred bytes; a text is at most 2,000 characters (8 KB as UTF-8). */
export const DEMO_EVENT_BODY_LIMIT = 16 * 1024;
/** The demo's own webhook answers in milliseconds; a stuck one is reported rather than waited on. */
const WEBHOOK_TIMEOUT_MS = 10_000;

/** The page's files (dist/web/ beside dist/src/): path under /demo/ → file name and content type. */
const ASSETS: Readonly<Record<string, { file: string; type: string }>> = {
  '/demo/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/demo/demo.js': { file: 'demo.js', type: 'text/javascript; charset=utf-8' },
  '/demo/demo.css': { file: 'demo.css', type: 'text/css; charset=utf-8' },
};
export const DEMO_WEB_DIR = join(__dirname, '..', '..', 'web');

export interface DemoWebOptions {
  readonly appSecret: string;
  readonly pageId: string;
  /** The demo's business clock: Meta stamps an event when the customer acts. */
  readonly now: () => number;
  /** The fake Graph API's call feed: what the bot sent. */
  readonly onCall: FakeGraphApi['onCall'];
  /** Who owns each customer's thread, as Meta (the fake Graph API) knows it, and the bot's app id. */
  readonly threads?: DemoThreads;
  readonly webDir?: string;
  readonly stream?: DemoStreamOptions;
  /** The demo's admin token, sent by the page's admin proxy (the page itself never holds it). */
  readonly adminToken?: string;
  /** The fake Graph API's comments: told who wrote each comment posted from the page. */
  readonly comments?: Pick<FakeCommentControls, 'add'>;
}

export interface DemoThreads {
  /** The bot's app: the Page Inbox hands threads back to it. */
  readonly appId: string;
  ownerOf(psid: string): string | null;
  setOwner(psid: string, appId: string): void;
}

export interface DemoWeb {
  /** For StartOptions.routes: true when the request was one of the page's. */
  route(req: IncomingMessage, res: ServerResponse): boolean;
  /** Where the service's webhook listens, once it does: events are posted there. */
  attach(webhookUrl: string): void;
  /** Where the demo's admin API listens (its /admin), once it does: the panels' calls go there. */
  attachAdmin(adminUrl: string): void;
  stop(): void;
}

const json = (res: ServerResponse, { status, body }: DemoReply) =>
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));

export function startDemoWeb(options: DemoWebOptions): DemoWeb {
  const webDir = options.webDir ?? DEMO_WEB_DIR;
  const stream = createDemoStream(options.stream ?? DEMO_STREAM_DEFAULTS);
  let webhookUrl: string | undefined;
  const admin = options.adminToken === undefined ? undefined : createDemoAdminProxy(options.adminToken);
  /** Signs a webhook body with the demo's app secret and posts it to the service, as Meta would. */
  async function deliver(body: string): Promise<{ status: number; text: string }> {
    const res = await fetch(webhookUrl ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, options.appSecret) },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text() };
  }
  const comments = createDemoComments({
    pageId: options.pageId,
    now: options.now,
    fakeComments: options.comments,
    publish: (event) => stream.publish(event),
    ready: () => webhookUrl !== undefined,
    deliver,
  });
  const unsubscribe = options.onCall((call) => {
    comments.onCall(call);
    const event = streamEventOf(call);
    if (event) stream.publish(event);
    // The bot acted for the customer: their state changed (it is committed before the bot's calls).
    if (call.status === 200 && call.recipientId) stream.publish({ kind: 'state', customer: call.recipientId, at: call.at });
  });

  /** Read on each request (a few KB), so a rebuilt page is served without restarting the demo. */
  async function serveAsset(path: string, res: ServerResponse): Promise<void> {
    const asset = ASSETS[path];
    if (!asset) return void json(res, { status: 404, body: { error: `no ${path} in the demo page` } });
    let content: Buffer;
    try {
      content = await readFile(join(webDir, asset.file));
    } catch {
      return void json(res, {
        status: 503,
        body: { error: `the demo page is not built (${join(webDir, asset.file)} is missing): run \`npm run build\`` },
      });
    }
    // Only its own files: no script, style, font or image from anywhere else.
    res
      .writeHead(200, {
        'content-type': asset.type,
        'cache-control': 'no-cache',
        'content-security-policy':
          "default-src 'self'; img-src 'self' data:; connect-src 'self'; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      })
      .end(content);
  }

  async function postEvent(req: IncomingMessage): Promise<DemoReply> {
    const read = await readJsonBody(req, DEMO_EVENT_BODY_LIMIT, 'action');
    if (!read.ok) return read.reply;
    const action = demoActionSchema.safeParse(read.value);
    if (!action.success)
      return {
        status: 400,
        body: {
          error:
            'not a customer action: {customer, type: text|quick_reply|postback|get_started|ref|reaction|inbox_reply|inbox_done, …}',
          problems: action.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`),
        },
      };
    if (webhookUrl === undefined) return { status: 503, body: { error: 'the demo is still starting: try again' } };
    const customer = action.data.customer;
    // Meta knows who owns the thread: the fake Graph API, where the bot passes and takes it, keeps that.
    // An idle thread (no owner) is the primary receiver's, the bot's: its events come on messaging.
    const threads = options.threads;
    const appId = threads?.appId ?? '';
    const owner = threads?.ownerOf(customer) ?? null;
    const inboxOwnsThread = owner !== null && owner !== appId;
    const mid = `m_demo_${randomUUID()}`;
    const body = demoWebhookBody(action.data, options.pageId, options.now(), mid, { appId, inboxOwnsThread });
    // Done in the Page Inbox: Meta gives the thread back to the bot's app first, then tells it.
    if (action.data.type === 'inbox_done') threads?.setOwner(customer, appId);
    const res = await deliver(body);
    if (res.status === 200) {
      // Meta shows the Page Inbox's reply to the customer; it never goes through the Send API (the fake).
      if (action.data.type === 'inbox_reply')
        stream.publish({
          kind: 'message',
          customer,
          at: options.now(),
          message: { text: action.data.text },
          mid,
          from: 'page_inbox',
        });
      stream.publish({ kind: 'state', customer, at: options.now() });
    }
    return res.status === 200
      ? { status: 202, body: { accepted: true } }
      : { status: 502, body: { error: `the webhook answered ${res.status}`, webhook: res.text.slice(0, 500) } };
  }

  return {
    route(req, res) {
      const path = req.url?.split('?', 1)[0] ?? '';
      if (path === '/demo') {
        res.writeHead(308, { location: DEMO_PAGE_PATH }).end();
        return true;
      }
      if (path === EVENTS_PATH || path === COMMENTS_PATH) {
        const comment = path === COMMENTS_PATH;
        if (req.method !== 'POST') json(res, { status: 405, body: { error: comment ? 'POST a comment' : 'POST an action' } });
        else
          (comment ? comments.post(req) : postEvent(req)).then(
            (reply) => json(res, reply),
            (err: unknown) =>
              json(res, { status: 502, body: { error: `posting to the webhook failed: ${(err as Error).message}` } }),
          );
        return true;
      }
      if (path === STREAM_PATH) {
        if (req.method !== 'GET') json(res, { status: 405, body: { error: 'GET the stream' } });
        else stream.open(req, res);
        return true;
      }
      if (admin && (path === DEMO_ADMIN_PREFIX || path.startsWith(`${DEMO_ADMIN_PREFIX}/`))) {
        admin.handle(req, res);
        return true;
      }
      if (!(path in ASSETS)) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') json(res, { status: 405, body: { error: 'GET the page' } });
      else void serveAsset(path, res);
      return true;
    },
    attach(url) {
      webhookUrl = url;
    },
    attachAdmin(url) {
      admin?.attach(url);
    },
    stop() {
      unsubscribe();
      stream.close();
    },
  };
}
