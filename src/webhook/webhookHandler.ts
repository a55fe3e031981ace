import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { partitionOf } from '../store/partitionOf';
import type { AppendRequest, InboxStore } from '../store/ports';
import { parseWebhook } from './parseWebhook';
import { isSignatureShaped, verifySignature } from './verifySignature';

export interface WebhookDeps {
  readonly appSecret: string;
  readonly verifyToken: string;
  readonly partitions: number;
  readonly bodyLimitBytes: number;
  /** This service's Page: events for other Pages are ignored (and counted), never answered with our token. */
  readonly pageId: string;
  /** Most events accepted in one body; more → 413 and nothing stored. */
  readonly maxEvents: number;
  /** How long the store recognises a redelivery; older events are ignored, since a replay of them would apply again. */
  readonly dedupeTtlSeconds: number;
  readonly inbox: InboxStore;
  /**
   * The other Pages this deployment serves (PAGES_FILE), each with the inbox under its own key
   * prefix; `pageId` and `inbox` stay the environment's Page's. Unset = that Page alone.
   */
  readonly pages?: ReadonlyMap<string, InboxStore>;
  /**
   * Apps other than appSecret's (PAGES_FILE `apps:`), each with the Pages it speaks for. A body is
   * checked with ONE app's secret, the app of the served Pages its `entry[].id`s name (appSecret's
   * when it names none), and believed for that app's Pages only; a body naming Pages of two apps is
   * refused unchecked (one delivery is one app's). The rest of `pages` (and `pageId`) are appSecret's.
   */
  readonly apps?: ReadonlyArray<{ readonly secret: string; readonly pageIds: readonly string[] }>;
  /** The signature check (default verifySignature); tests pass one that counts the HMACs computed. */
  readonly verify?: typeof verifySignature;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Meta's payloads nest about 8 levels; far deeper input is hostile and would exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests arrays/objects deeper than `limit`; iterative, so it cannot overflow. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop() as number;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const key in v) {
      const child = (v as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, ['content-type', 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(body))]);
  res.end(body);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** GET: Meta's subscription handshake. The token compare is constant-time over digests. */
function verifyHandshake(deps: WebhookDeps, req: IncomingMessage, res: ServerResponse): void {
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const token = query.get('hub.verify_token') ?? '';
  const ok = query.get('hub.mode') === 'subscribe' && timingSafeEqual(digest(token), digest(deps.verifyToken));
  if (ok) return reply(res, 200, query.get('hub.challenge') ?? '');
  deps.metrics.requestsRejected.inc({ reason: 'bad_verify_token' });
  reply(res, 403, 'Forbidden: hub.mode must be "subscribe" and hub.verify_token must match MESSENGER_VERIFY_TOKEN');
}

/** Reads the raw body, giving up (null) as soon as it passes the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

function reject(deps: WebhookDeps, res: ServerResponse, status: number, reason: string, message: string): void {
  deps.metrics.requestsRejected.inc({ reason });
  deps.logger.debug({ status, reason }, 'webhook request rejected');
  reply(res, status, message);
}

/** POST: verify, parse, dedupe + append durably, and only then answer 200. */
async function receive(
  deps: WebhookDeps,
  routes: Routes,
  received: ReturnType<typeof receivedCounter>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const signature = req.headers['x-hub-signature-256'];
  if (!isSignatureShaped(signature)) {
    // Answered before a byte of the body is read; closing the connection spares reading the rest too.
    res.setHeader('connection', 'close');
    return reject(deps, res, 403, 'bad_signature', 'Forbidden: X-Hub-Signature-256 is missing or not "sha256=<64 hex digits>"');
  }
  const raw = await readBody(req, deps.bodyLimitBytes);
  if (raw === null) {
    res.setHeader('connection', 'close');
    return reject(deps, res, 413, 'too_large', `Payload too large: the limit is ${deps.bodyLimitBytes} bytes`);
  }
  // With several apps the body is parsed before its signature is checked, to know which app's it is.
  const early = routes.severalApps ? parseJson(raw) : undefined;
  const app = routes.appOf(early);
  if (app === 'several_apps') {
    return reject(
      deps,
      res,
      403,
      'several_apps',
      "Forbidden: the entries name Pages of several apps; each app's deliveries come apart",
    );
  }
  if (!(deps.verify ?? verifySignature)(raw, signature, app.secret)) {
    return reject(deps, res, 403, 'bad_signature', 'Forbidden: X-Hub-Signature-256 is missing or does not match the body');
  }
  const json = early ?? parseJson(raw);
  if (!json.ok) return reject(deps, res, 400, 'malformed_json', 'Bad request: the body is not valid UTF-8 JSON');
  const body = json.value;
  if (nestedDeeperThan(body, MAX_JSON_DEPTH)) {
    return reject(deps, res, 400, 'too_deep', `Bad request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  const now = deps.now();
  const parsed = parseWebhook(body, now, {
    pageId: app.served,
    onOtherPage: routes.otherPage,
    oldestMs: now - deps.dedupeTtlSeconds * 1000,
    maxEvents: deps.maxEvents,
  });
  if (parsed.type === 'not_page') {
    // Another product's subscription (e.g. "instagram"): an error status would only make Meta retry
    // it and, after long enough, disable the subscription; so it is acknowledged and dropped.
    deps.metrics.eventsIgnored.inc({ reason: 'not_page' });
    deps.logger.debug({ object: parsed.object }, 'webhook body for another object ignored');
    return reply(res, 200, 'EVENT_RECEIVED');
  }
  if (parsed.type === 'too_many') {
    return reject(deps, res, 413, 'too_many_events', `Payload too large: ${parsed.count} events, the limit is ${deps.maxEvents}`);
  }
  if (parsed.type === 'invalid') return reject(deps, res, 400, 'invalid_envelope', `Bad request: ${parsed.problem}`);
  for (const reason of parsed.ignored) deps.metrics.eventsIgnored.inc({ reason });
  if (parsed.ignored.length > 0) deps.logger.debug({ ignored: parsed.ignored }, 'webhook events ignored');
  const requests: AppendRequest[] = parsed.events.map((event) => ({
    partition: partitionOf(event.pageId, event.userId, deps.partitions),
    dedupeKey: event.dedupeKey,
    record: { source: 'webhook', event },
  }));
  const outcome = await append(deps, routes, requests);
  for (const e of parsed.events) received(e.kind, e.channel, routes.several ? e.pageId : undefined).inc();
  if (outcome.duplicates > 0) deps.metrics.eventsDeduped.inc(outcome.duplicates);
  reply(res, 200, 'EVENT_RECEIVED');
}

/**
 * The received counter of one (kind, channel[, page]), looked up once: prom-client otherwise hashes
 * the label object on every increment, once per event on the hottest path. Only served Pages reach
 * it, so the page label's values are bounded by the configuration.
 */
function receivedCounter(metrics: Metrics): (kind: string, channel: string, page: string | undefined) => { inc(): void } {
  const children = new Map<string, { inc(): void }>();
  return (kind, channel, page) => {
    const key = `${kind} ${channel} ${page ?? ''}`;
    let child = children.get(key);
    if (!child)
      children.set(
        key,
        (child = metrics.eventsReceived.labels(page === undefined ? { kind, channel } : { kind, channel, page })),
      );
    return child;
  };
}

type Json = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

function parseJson(raw: Buffer): Json {
  try {
    return { ok: true, value: JSON.parse(utf8.decode(raw)) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The `entry[].id`s of a body that has them (hand-read: the body is not checked yet, so nothing else is trusted). */
function entryIds(json: Json): string[] {
  if (!json.ok || json.value === null || typeof json.value !== 'object') return [];
  const entry = (json.value as { entry?: unknown }).entry;
  if (!Array.isArray(entry)) return [];
  const ids: string[] = [];
  for (const e of entry as unknown[]) {
    const id = e !== null && typeof e === 'object' ? (e as { id?: unknown }).id : undefined;
    if (typeof id === 'string') ids.push(id);
  }
  return ids;
}

/** An app: the secret that signs its deliveries and the Pages a body it signed is believed for. */
interface App {
  readonly secret: string;
  readonly served: string | ReadonlySet<string>;
}

/** Which Pages the webhook serves and where each one's events go. */
interface Routes {
  /** Whether Pages of several apps are served (then the body is read to pick the app). */
  readonly severalApps: boolean;
  /**
   * The one app whose secret must have signed the body: the app of the served Pages its entries name
   * (ids of Pages not served name none), appSecret's when they name none or the body was not read.
   */
  readonly appOf: (json: Json | undefined) => App | 'several_apps';
  readonly several: boolean;
  readonly inboxOf: (pageId: string) => InboxStore | undefined;
  readonly otherPage: (pageId: string) => void;
}

/** Signed bodies only reach here, so other Pages are Meta's (subscribed to our app); still, their labels are capped. */
const OTHER_PAGE_LABELS = 100;

function routesOf(deps: WebhookDeps): Routes {
  const pages = deps.pages ?? new Map<string, InboxStore>();
  const labelled = new Set<string>();
  const apps = deps.apps ?? [];
  const ofApps = new Set(apps.flatMap((a) => a.pageIds));
  const own = new Set([deps.pageId, ...[...pages.keys()].filter((id) => !ofApps.has(id))]);
  const served = pages.size === 0 ? deps.pageId : own;
  const home: App = { secret: deps.appSecret, served };
  const appOfPage = new Map<string, App>([...own].map((id) => [id, home]));
  for (const a of apps) {
    const app: App = { secret: a.secret, served: new Set(a.pageIds) };
    for (const id of a.pageIds) appOfPage.set(id, app);
  }
  return {
    severalApps: apps.length > 0,
    appOf: (json) => {
      let found: App | undefined;
      for (const id of json ? entryIds(json) : []) {
        const app = appOfPage.get(id);
        if (app === undefined || app === found) continue;
        if (found !== undefined) return 'several_apps';
        found = app;
      }
      return found ?? home;
    },
    several: pages.size > 0,
    inboxOf: (pageId) => (pageId === deps.pageId ? deps.inbox : pages.get(pageId)),
    otherPage: (pageId) => {
      if (labelled.size < OTHER_PAGE_LABELS) labelled.add(pageId);
      deps.metrics.eventsOtherPage.inc({ page: labelled.has(pageId) ? pageId : 'other' });
    },
  };
}

/** Appends each Page's events to its own inbox (one call for a one-Page deployment, as ever). */
async function append(
  deps: WebhookDeps,
  routes: Routes,
  requests: readonly AppendRequest[],
): Promise<{ appended: number; duplicates: number }> {
  if (requests.length === 0) return { appended: 0, duplicates: 0 };
  if (!routes.several) return deps.inbox.append(requests);
  const byInbox = new Map<InboxStore, AppendRequest[]>();
  for (const r of requests) {
    const inbox = routes.inboxOf(r.record.event.pageId) ?? deps.inbox;
    const list = byInbox.get(inbox);
    if (list) list.push(r);
    else byInbox.set(inbox, [r]);
  }
  const outcomes = await Promise.all([...byInbox].map(([inbox, list]) => inbox.append(list)));
  return outcomes.reduce((a, b) => ({ appended: a.appended + b.appended, duplicates: a.duplicates + b.duplicates }));
}

/**
 * The Messenger webhook as a plain node:http handler: it sits on the hottest path, so it skips
 * the framework and does exactly one signature check, one parse and one store round trip per
 * partition touched. Never answers 200 for an event that is not stored.
 */
export function createWebhookHandler(deps: WebhookDeps): Handler {
  const received = receivedCounter(deps.metrics);
  const routes = routesOf(deps);
  return (req, res) => {
    if (req.method === 'GET') return verifyHandshake(deps, req, res);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'GET, POST');
      return reject(deps, res, 405, 'method', 'Method not allowed: use GET (verification) or POST (events)');
    }
    receive(deps, routes, received, req, res).catch((err: unknown) => {
      if (res.headersSent) return;
      if (err instanceof StoreUnavailableError) {
        deps.logger.warn({ err: err.message }, 'webhook could not store events; answering 503 so Meta redelivers');
        return reject(deps, res, 503, 'store_unavailable', 'Service unavailable: events not stored, retry later');
      }
      deps.logger.error({ err }, 'webhook failed unexpectedly');
      reject(deps, res, 500, 'internal', 'Internal error: events not stored');
    });
  };
}
