import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminTokensOf, type Config } from './config/config';
import { createAdminApp } from './admin/adminApp';
import { pageAdminDeps, type PageAdmins } from './admin/pageAdmins';
import type { AdminHandlerDeps } from './admin/adminHandlers';
import { createOpsApp, type Readiness } from './http/opsApp';
import { pagesReadiness, type PageReadiness } from './http/pagesReadiness';
import { PagesRegistry } from './pagesMetrics';
import { createLogger, type Logger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { FlowsInvalidError, StoreOwnerError } from './errors';
import { loadFlows } from './flows/loadFlows';
import { formatProblem } from './flows/problem';
import { flowHandler } from './runtime/flowHandler';
import { withComments } from './runtime/commentLane';
import type { FlowSet } from './engine/flowSet';
import type { Handler } from './runtime/handler';
import { createGraphClient, graphClientOptions, type GraphClient } from './messenger/graphClient';
import { startOutboundCalls } from './runtime/outboundCalls';
import { OutboxSender } from './runtime/outboxSender';
import { timerPump } from './runtime/timerPump';
import { BroadcastBook } from './runtime/broadcastBook';
import { BroadcastFanout, DEFAULT_FANOUT_BACKLOG, pumpBroadcasts } from './runtime/broadcastFanout';
import { sideBySide } from './runtime/partitionTask';
import { createNotifier } from './runtime/notifyAgents';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from './runtime/worker';
import { createMemoryStore } from './store/memory/memoryStore';
import { keysFor } from './store/keys';
import type { InboxStore, OwnedStore, Store } from './store/ports';
import { RedisConnection } from './store/redis/redisConnection';
import { createRedisStore } from './store/redis/redisStore';
import { createWebhookHandler } from './webhook/webhookHandler';

export const WEBHOOK_PATH = '/webhooks/messenger';

export interface RunningService {
  /** The public listener's port; 0 for a service started with `noListener` (no listener of its own). */
  readonly port: number;
  /** The admin listener's port (ADMIN_HOST:ADMIN_PORT); undefined when no admin token is configured. */
  readonly adminPort: number | undefined;
  readonly store: Store;
  readonly worker: Worker<unknown> | undefined;
  readonly logger: Logger;
  /** This Page's admin API (store, broadcasts, flows), for the admin listener of several Pages (/admin/pages/<id>/). */
  readonly admin: AdminHandlerDeps;
  /** This Page's own metrics (with several Pages, the environment's Page's /metrics shows every Page's). */
  readonly metrics: Metrics;
  /** This Page's own readiness (store reachable, worker serving its partitions). */
  readiness(): Promise<Readiness>;
  /** Graceful: stop accepting, finish in-flight items, release leases, close the store. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Defaults to the flow engine over the flows in FLOWS_DIR. */
  readonly handler?: Handler<unknown>;
  readonly now?: () => number;
  /** Defaults to the Graph client on GRAPH_API_URL. */
  readonly graph?: GraphClient;
  /** Defaults to the store REDIS_URL names (memory without it); tests pass one that fails on cue. Closed on stop. */
  readonly store?: Store;
  /**
   * The demo: refuse a Redis key prefix that holds data without this Page's owner marker, instead
   * of adopting it (a service adopts unmarked data: it is its own, from before markers existed).
   */
  readonly requireOwnStore?: boolean;
  /** The demo's own routes on this listener (its GET /demo/clock): true when it answered the request. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** The other Pages this webhook serves (PAGES_FILE, src/pagesService.ts), each with the inbox under its key prefix. */
  readonly pageInboxes?: ReadonlyMap<string, InboxStore>;
  /** Apps other than MESSENGER_APP_SECRET's whose signed webhooks speak for some of those Pages (webhookHandler `apps`). */
  readonly pageApps?: ReadonlyArray<{ readonly secret: string; readonly pageIds: readonly string[] }>;
  /** A settings file in place of FLOWS_DIR's (a Page sharing a flows folder, PAGES_FILE). */
  readonly settingsFile?: string;
  /** The other Pages this admin listener serves under /admin/pages/<pageId>/ (PAGES_FILE, src/pagesService.ts). */
  readonly pageAdmins?: PageAdmins;
  /**
   * Several Pages (src/pagesService.ts): the other Pages, whose metrics this service's /metrics
   * shows beside its own, each with its page label, and whose readiness its /readyz includes.
   */
  readonly otherPages?: ReadonlyArray<PageReadiness & { readonly metrics?: Metrics }>;
  /** False for each of several Pages: the process metrics are shown once, not per Page (default true). */
  readonly processMetrics?: boolean;
  /**
   * No listener of its own: another Page's worker under PAGES_FILE, whose /metrics and /readyz the
   * environment's Page's listener serves (`otherPages`). Saves a socket and a port per Page.
   */
  readonly noListener?: boolean;
  /** A Redis command connection shared by several Pages' stores (openSharedRedis); not closed on stop. */
  readonly redis?: RedisConnection;
}

/** Loads and lints FLOWS_DIR; refuses to start on any error, naming file, line, node and fix. */
function loadFlowSet(config: Config, logger: Logger, settingsFile: string | undefined): FlowSet {
  const result = loadFlows(config.FLOWS_DIR, settingsFile === undefined ? {} : { settingsFile });
  if (!result.ok) throw new FlowsInvalidError(config.FLOWS_DIR, result.problems.map(formatProblem));
  for (const w of result.warnings) logger.warn({ file: w.file, line: w.line, flow: w.flow, node: w.node, fix: w.fix }, w.message);
  logger.info({ flows: [...result.flowSet.flows.keys()], dir: config.FLOWS_DIR }, 'flows loaded');
  // The engine asks the language model only where one is configured (questionModel.ts).
  return config.QUESTIONS_LLM_URL === undefined ? result.flowSet : { ...result.flowSet, questionModel: true };
}

/** The flow engine as the worker's handler, with the profile lookup and the broadcasts it needs. */
function flowHandlerOf(
  config: Config,
  flowSet: FlowSet,
  graph: GraphClient | undefined,
  broadcasts: BroadcastBook | undefined,
): Handler<unknown> {
  const fetchProfile =
    graph && config.USER_PROFILE_LOOKUP
      ? (psid: string) => graph.userProfile(psid, ['first_name', 'locale', 'timezone'])
      : undefined;
  const retention = {
    transcriptDays: config.TRANSCRIPT_RETENTION_DAYS,
    inactiveUserDays: config.INACTIVE_USER_RETENTION_DAYS,
  };
  // Comments on the Page's posts have lanes of their own beside the users' (runtime/commentLane.ts).
  return withComments(
    flowHandler(flowSet, { fetchProfile, appId: config.MESSENGER_APP_ID, retention, broadcasts }),
    flowSet,
  ) as Handler<unknown>;
}

/**
 * Opens the store and claims it for this Page before anything else touches it: a Redis key prefix
 * that another Page (or the demo, Page `demo-page`) owns is refused, so one never reads or
 * delivers the other's conversations (src/store/keys.ts `owner`).
 */
async function openStore(config: Config, logger: Logger, requireEmpty: boolean, redis?: RedisConnection): Promise<Store> {
  const store: OwnedStore = config.REDIS_URL
    ? await createRedisStore({
        ...(redis ? { connection: redis } : {}),
        url: config.REDIS_URL,
        ...(config.REDIS_CLUSTER_NODES ? { clusterNodes: config.REDIS_CLUSTER_NODES } : {}),
        waitReplicas: config.REDIS_WAIT_REPLICAS,
        waitTimeoutMs: config.REDIS_WAIT_TIMEOUT_MS,
        keyPrefix: config.REDIS_KEY_PREFIX,
        dedupeTtlSeconds: config.DEDUPE_TTL_SECONDS,
        timeoutMs: config.STORE_TIMEOUT_MS,
        logger,
      })
    : createMemoryStore({ dedupeTtlSeconds: config.DEDUPE_TTL_SECONDS });
  const claim = await store.claimOwner(config.MESSENGER_PAGE_ID, { requireEmpty }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  if (!claim.ok) {
    await store.close();
    const where = `Redis key prefix "${config.REDIS_KEY_PREFIX}" (owner key ${keysFor(config.REDIS_KEY_PREFIX).owner()})`;
    throw new StoreOwnerError(where, config.MESSENGER_PAGE_ID, claim.owner);
  }
  if (claim.created && config.REDIS_URL)
    logger.info(
      { keyPrefix: config.REDIS_KEY_PREFIX, pageId: config.MESSENGER_PAGE_ID },
      "store key prefix marked as this Page's",
    );
  return store;
}

/**
 * The configured store, claimed for this Page, for commands that work on the data of a running
 * service (e.g. `talkshop users export`) without starting one. The caller closes it.
 */
export function openStoreFromConfig(config: Config, logger: Logger, redis?: RedisConnection): Promise<Store> {
  return openStore(config, logger, false, redis);
}

/**
 * One Redis command connection for every Page of a process (PAGES_FILE): their stores differ by key
 * prefix only, so N Pages need 1 + N sockets (one blocking read each) instead of 2N. Undefined
 * without REDIS_URL. The caller closes it after every store on it.
 */
export async function openSharedRedis(config: Config, logger: Logger): Promise<RedisConnection | undefined> {
  if (!config.REDIS_URL) return undefined;
  const target = { url: config.REDIS_URL, ...(config.REDIS_CLUSTER_NODES ? { clusterNodes: config.REDIS_CLUSTER_NODES } : {}) };
  return RedisConnection.open(target, config.STORE_TIMEOUT_MS, logger, 'pages');
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * Slow clients are cut off (408, then closed) once their headers or whole request take too long;
 * Node only looks every connectionsCheckingInterval (30 s by default), so it looks more often.
 */
function httpServer(config: Config, handle: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1_000, Math.max(10, Math.floor(config.HTTP_HEADERS_TIMEOUT_MS / 4))),
    },
    handle,
  );
  server.keepAliveTimeout = 65_000;
  server.maxConnections = config.HTTP_MAX_CONNECTIONS;
  return server;
}

/** Listens on ADMIN_HOST:ADMIN_PORT; if that fails, stops what already runs and says which setting to change. */
async function listenAdmin(server: Server, config: Config, stop: () => Promise<void>): Promise<number> {
  try {
    return await listen(server, config.ADMIN_PORT, config.ADMIN_HOST);
  } catch (err) {
    await stop();
    throw new Error(
      `The admin API cannot listen on ${config.ADMIN_HOST}:${config.ADMIN_PORT} (${(err as Error).message}); set ADMIN_PORT (0 = any free port) or ADMIN_HOST`,
      { cause: err },
    );
  }
}

/** The composition root: the only place that picks concrete adapters. */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL, { role: config.ROLE });
  const now = options.now ?? Date.now;
  logger.info(
    config.REDIS_URL
      ? { store: 'redis', partitions: config.INBOX_PARTITIONS, keyPrefix: config.REDIS_KEY_PREFIX }
      : { store: 'memory', partitions: config.INBOX_PARTITIONS },
    config.REDIS_URL
      ? 'talkshop starting on Redis'
      : 'talkshop starting on the IN-MEMORY store: single process, nothing survives a restart (set REDIS_URL for production)',
  );
  const runsWorker = config.ROLE !== 'web';
  // Before the Graph client, which counts its calls in them; the store is read only at scrape time.
  const partitions = Array.from({ length: config.INBOX_PARTITIONS }, (_, p) => p);
  const otherPages = options.otherPages ?? [];
  const metrics = createMetrics({
    pendingCounts: () => store.inbox.pendingCounts(partitions),
    processMetrics: (options.processMetrics ?? true) && otherPages.length === 0,
  });
  const ownGraph = runsWorker && !options.graph ? createGraphClient(graphClientOptions(config, { logger, metrics })) : undefined;
  const graph = runsWorker ? (options.graph ?? ownGraph) : undefined;
  const flowSet = runsWorker ? loadFlowSet(config, logger, options.settingsFile) : undefined;
  const store = options.store ?? (await openStore(config, logger, options.requireOwnStore ?? false, options.redis));
  const book = flowSet && store.broadcasts ? new BroadcastBook(store.broadcasts, flowSet.settings) : undefined;
  const handler = runsWorker ? (options.handler ?? (flowSet && flowHandlerOf(config, flowSet, graph, book))) : undefined;

  // Flows' requests to outside APIs and outgoing webhooks, with the settings' policy.
  const outbound =
    flowSet &&
    startOutboundCalls({
      flows: flowSet,
      store,
      pageId: config.MESSENGER_PAGE_ID,
      env: (name) => process.env[name],
      logger,
      metrics,
      now,
      sleep: (ms) => sleep(ms),
      ...(config.QUESTIONS_LLM_URL !== undefined && config.QUESTIONS_LLM_MODEL !== undefined
        ? {
            questionModel: {
              url: config.QUESTIONS_LLM_URL,
              model: config.QUESTIONS_LLM_MODEL,
              ...(config.QUESTIONS_LLM_KEY === undefined ? {} : { key: config.QUESTIONS_LLM_KEY }),
              timeoutMs: config.QUESTIONS_LLM_TIMEOUT_MS,
              tokenField: config.QUESTIONS_LLM_TOKEN_FIELD,
            },
          }
        : {}),
    });
  const sender = graph
    ? new OutboxSender({
        store,
        graph,
        pageId: config.MESSENGER_PAGE_ID,
        logger,
        metrics,
        now,
        sleep: (ms) => sleep(ms),
        rates: { text: config.SEND_RATE_PER_SEC, media: config.SEND_MEDIA_RATE_PER_SEC, burst: config.SEND_BURST },
        notify: config.NOTIFY_WEBHOOK_URL ? createNotifier({ url: config.NOTIFY_WEBHOOK_URL, logger, metrics }) : undefined,
        staffPsids: config.NOTIFY_ADMIN_PSIDS,
        partitions: config.INBOX_PARTITIONS,
        replyLimit: { perMinute: config.USER_REPLIES_PER_MINUTE, burst: config.USER_REPLY_BURST },
        broadcasts: book,
        marketing: config.MARKETING_AD_ACCOUNT_ID ? { adAccountId: config.MARKETING_AD_ACCOUNT_ID } : undefined,
        requests: outbound?.requests,
        webhooks: outbound?.webhooks,
      })
    : undefined;
  const withBroadcasts = store.broadcasts ? { ...store, broadcasts: store.broadcasts } : undefined;
  const fanout =
    withBroadcasts &&
    new BroadcastFanout({
      store: withBroadcasts,
      pageId: config.MESSENGER_PAGE_ID,
      partitions: config.INBOX_PARTITIONS,
      logger,
      metrics,
      now,
      timezone: flowSet?.settings.timezone,
      // About a second of the partition's share of the Page's rate (at least 8, at most the default
      // 64): a live reply queues behind its partition's bulk sends, and at Meta's 300/s over 64
      // partitions 64 of them are 14 s (bench:broadcast measured a live reply p99 of 19.5 s).
      backlog: Math.min(DEFAULT_FANOUT_BACKLOG, Math.max(8, Math.ceil(config.SEND_RATE_PER_SEC / config.INBOX_PARTITIONS))),
    });
  const pumpTimers = timerPump(store, now, logger);
  const worker = handler
    ? new Worker<unknown>({
        partitionTask:
          sender &&
          sideBySide(
            (p, token, active, wake) => sender.run(p, token, active, wake),
            pumpTimers,
            (p, _token, active) => (fanout ? pumpBroadcasts(fanout, p, active, logger, sleep) : Promise.resolve()),
          ),
        store,
        handler,
        partitions: config.INBOX_PARTITIONS,
        workerId: `${process.pid}-${randomUUID().slice(0, 8)}`,
        leaseTtlMs: config.LEASE_TTL_MS,
        maxAttempts: config.INBOX_MAX_ATTEMPTS,
        logger,
        metrics,
        now,
      })
    : undefined;

  // Once stopping, not ready: with several Pages a stopped Page's store may still answer (shared connection).
  let stopped = false;
  const ownReadiness = async (): Promise<Readiness> => {
    if (stopped) return { ready: false, checks: { service: 'stopping' } };
    const storeOk = await store.ping().then(
      () => true,
      () => false,
    );
    const checks: Record<string, string> = { store: storeOk ? 'ok' : 'unreachable' };
    // A held partition whose sender is down (between a failure and its restart) is not being served.
    const unserved = worker?.unservedPartitions ?? [];
    if (worker)
      checks.worker = !worker.healthy
        ? 'not heartbeating'
        : unserved.length > 0
          ? `partitions held but not served: ${unserved.join(', ')}`
          : `ok (${worker.heldPartitions.length} partitions)`;
    return { ready: storeOk && (!worker || (worker.healthy && unserved.length === 0)), checks };
  };

  const page = config.MESSENGER_PAGE_ID;
  const readiness = otherPages.length ? pagesReadiness({ page, readiness: ownReadiness }, otherPages) : ownReadiness;
  // What /metrics shows (public and admin listeners): with several Pages, every Page's series.
  const shown: Metrics = otherPages.length
    ? {
        ...metrics,
        registry: new PagesRegistry(
          { page, registry: metrics.registry },
          otherPages.flatMap((p) => (p.metrics ? [{ page: p.page, registry: p.metrics.registry }] : [])),
        ),
      }
    : metrics;

  // The admin API can reply as the Page, so it has a listener of its own (loopback by default),
  // never the public one; without a token it does not listen at all.
  const adminTokens = adminTokensOf(config);
  const adAccount = config.MARKETING_AD_ACCOUNT_ID;
  const adminDeps = pageAdminDeps({
    store,
    pageId: config.MESSENGER_PAGE_ID,
    partitions: config.INBOX_PARTITIONS,
    now,
    flows: flowSet,
    adAccountId: adAccount,
    createCampaign: graph && adAccount ? (b) => graph.createMessageCampaign(adAccount, { name: b.name }) : undefined,
  });
  const admin = adminTokens.length
    ? createAdminApp({
        ...adminDeps,
        tokens: adminTokens,
        logger,
        ...(options.pageAdmins ? { pages: options.pageAdmins } : {}),
        metrics: shown,
      })
    : undefined;
  const ops = createOpsApp({
    metrics: shown,
    readiness,
    metricsPublic: config.METRICS_PUBLIC,
    onError: (err, requestId) => logger.error({ err, requestId }, 'ops request failed'),
  });
  const webhook =
    config.ROLE !== 'worker'
      ? createWebhookHandler({
          appSecret: config.MESSENGER_APP_SECRET,
          verifyToken: config.MESSENGER_VERIFY_TOKEN,
          partitions: config.INBOX_PARTITIONS,
          bodyLimitBytes: config.WEBHOOK_BODY_LIMIT_BYTES,
          pageId: config.MESSENGER_PAGE_ID,
          maxEvents: config.WEBHOOK_MAX_EVENTS,
          dedupeTtlSeconds: config.DEDUPE_TTL_SECONDS,
          inbox: store.inbox,
          ...(options.pageInboxes?.size ? { pages: options.pageInboxes } : {}),
          ...(options.pageApps?.length ? { apps: options.pageApps } : {}),
          metrics,
          logger,
          now,
        })
      : undefined;
  const server = options.noListener
    ? undefined
    : httpServer(config, (req, res) => {
        const path = req.url?.split('?', 1)[0];
        if (webhook && path === WEBHOOK_PATH) webhook(req, res);
        else if (!options.routes?.(req, res)) ops(req, res);
      });
  const adminServer = admin && httpServer(config, admin);

  await worker?.start();
  const port = server ? await listen(server, config.PORT, config.HOST) : 0;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      stopped = true;
      logger.info('talkshop stopping: no new requests, finishing in-flight items');
      const servers = [server, adminServer?.listening ? adminServer : undefined].filter((s) => s !== undefined);
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      for (const s of servers) s.closeIdleConnections();
      await worker?.stop();
      // Keep-alive clients that never go idle get a few seconds, then their sockets are closed.
      const force = setTimeout(() => servers.forEach((s) => s.closeAllConnections()), 5_000);
      await closed;
      clearTimeout(force);
      await outbound?.stop(); // before the store: the webhook pump settles its tries in it
      await store.close();
      ownGraph?.close();
      logger.info('talkshop stopped');
    })());
  const adminPort = adminServer && (await listenAdmin(adminServer, config, stop));
  if (adminPort === undefined)
    logger.info('admin API off: set ADMIN_TOKENS (or ADMIN_TOKEN) to serve it on ADMIN_HOST:ADMIN_PORT');
  else
    logger.info(
      { host: config.ADMIN_HOST, port: adminPort, tokens: adminTokens.map((t) => `${t.name}:${t.role}`) },
      'admin API listening',
    );
  // "talkshop ready" names the listener's port, which supervisors and tests wait for: a Page's
  // worker without a listener says something else, so that line comes once, when all is up.
  if (!server) logger.info({ worker: Boolean(worker) }, 'page worker ready');
  else logger.info({ port, webhook: webhook ? WEBHOOK_PATH : 'off (ROLE=worker)', worker: Boolean(worker) }, 'talkshop ready');
  return { port, adminPort, store, worker, logger, admin: adminDeps, metrics, readiness: ownReadiness, stop };
}
