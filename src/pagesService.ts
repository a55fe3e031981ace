import { pageAdminDeps } from './admin/pageAdmins';
import type { AdminHandlerDeps } from './admin/adminHandlers';
import type { Config } from './config/config';
import { pageFromEnv, type PageConfig, type PagesConfig } from './config/pagesConfig';
import { createLogger, type Logger } from './logger';
import type { Readiness } from './http/opsApp';
import { openSharedRedis, openStoreFromConfig, startService, type RunningService, type StartOptions } from './server';
import type { InboxStore, Store } from './store/ports';

/**
 * Several Pages in one process (issue #18 item 2; docs/pages.md). The environment's Page runs as
 * the one service always has (public listener, webhook, admin API); every other Page gets a service
 * of its own for its worker, built by the same composition root from a Config that is that Page's
 * (its id, token, app secret for appsecret_proof, flows, key prefix, send rates; so its store, Graph
 * client, rate bucket, sender and partitions are its own), with no webhook, no admin API and no
 * listener of its own (`noListener`). The one webhook routes each entry to its Page's inbox.
 *
 * The admin API of every Page is on the environment's Page's admin listener, under
 * /admin/pages/<pageId>/ (each Page's store, broadcasts and flows; with ROLE=web its store alone).
 *
 * Pages on several apps: the webhook checks a body with one secret, its Pages' app's (webhookHandler.ts).
 * Each Page has its own metrics registry, without the process metrics; the public /metrics shows
 * them all with a page label and the process metrics once (src/pagesMetrics.ts), and /readyz is
 * ready when every Page is (src/http/pagesReadiness.ts). Every Page's store sends its commands on
 * one shared Redis connection (openSharedRedis); each keeps its own blocking-read socket.
 */

/** The Config one Page's service runs with: the deployment's settings, that Page's identity and limits. */
export function configOfPage(config: Config, page: PageConfig, role: Config['ROLE']): Config {
  return Object.freeze({
    ...config,
    ROLE: role,
    MESSENGER_PAGE_ID: page.id,
    MESSENGER_ACCESS_TOKEN: page.accessToken,
    MESSENGER_APP_ID: page.appId,
    MESSENGER_APP_SECRET: page.appSecret,
    FLOWS_DIR: page.flowsDir,
    REDIS_KEY_PREFIX: page.keyPrefix,
    SEND_RATE_PER_SEC: page.rates.text,
    SEND_MEDIA_RATE_PER_SEC: page.rates.media,
    SEND_BURST: page.rates.burst,
    // Only the environment's Page listens in public and answers the admin API.
    PORT: 0,
    HOST: '127.0.0.1',
    ADMIN_TOKEN: undefined,
    ADMIN_TOKENS: undefined,
  });
}

export interface PagesService {
  /** The environment's Page's service: its port is the deployment's public port. */
  readonly main: RunningService;
  /** Every other Page's worker service (none with ROLE=web), by Page id. */
  readonly pages: ReadonlyMap<string, RunningService>;
  stop(): Promise<void>;
}

/** The apps other than the environment's, each with its Pages' ids and its secret (the webhook's signature check). */
function otherApps(pages: PagesConfig, home: PageConfig): { secret: string; pageIds: string[] }[] {
  const apps = new Map<string, { secret: string; pageIds: string[] }>();
  for (const p of pages.pages) {
    if (p.app === home.app) continue;
    const app = apps.get(p.app) ?? { secret: p.appSecret, pageIds: [] };
    app.pageIds.push(p.id);
    apps.set(p.app, app);
  }
  return [...apps.values()];
}

/**
 * Starts every configured Page. With one Page this is startService with that Page's settings.
 * `options` are the environment's Page's (a test's store, graph or handler serve it alone); `now`
 * applies to every Page, and `logger` becomes each Page's child `{page}`.
 */
export async function startPagesService(config: Config, pages: PagesConfig, options: StartOptions = {}): Promise<PagesService> {
  const home = pages.page(config.MESSENGER_PAGE_ID) ?? pageFromEnv(config);
  const others = pages.pages.filter((p) => p.id !== config.MESSENGER_PAGE_ID);
  // The environment's Page as the file may have set it (flows, token, settings), on the public listener.
  const homeConfig = Object.freeze({
    ...configOfPage(config, home, config.ROLE),
    ...{ PORT: config.PORT, HOST: config.HOST, ADMIN_TOKEN: config.ADMIN_TOKEN, ADMIN_TOKENS: config.ADMIN_TOKENS },
  });
  const homeSettings = home.settingsFile === undefined ? {} : { settingsFile: home.settingsFile };
  if (others.length === 0) {
    const only = await startService(homeConfig, { ...options, ...homeSettings });
    return { main: only, pages: new Map(), stop: only.stop };
  }
  const logger: Logger = options.logger ?? createLogger(config.LOG_LEVEL, { role: config.ROLE });
  const started: RunningService[] = [];
  const stores: Store[] = [];
  let main: RunningService | undefined;
  let redis: Awaited<ReturnType<typeof openSharedRedis>>;
  // The webhook first (nothing new comes in), then every Page's worker finishes what it holds.
  const stopAll = async () => {
    await main?.stop();
    await Promise.all(started.map((s) => s.stop()));
    await Promise.all(stores.map((s) => s.close()));
    await redis?.close(); // last: every store above sent its commands on it
  };
  try {
    redis = await openSharedRedis(config, logger);
    const shared = redis ? { redis } : {};
    const inboxes = new Map<string, InboxStore>();
    const workers = new Map<string, RunningService>();
    const otherPages: NonNullable<StartOptions['otherPages']>[number][] = [];
    // The environment's Page's admin listener serves every Page under /admin/pages/<id>/ (docs/pages.md).
    const admins = new Map<string, AdminHandlerDeps>();
    for (const page of others) {
      const pageLogger = logger.child({ page: page.id });
      if (config.ROLE === 'web') {
        // No worker here: only the inbox the webhook appends to, claimed for its Page.
        const store = await openStoreFromConfig(configOfPage(config, page, 'web'), pageLogger, redis);
        stores.push(store);
        inboxes.set(page.id, store.inbox);
        otherPages.push({ page: page.id, readiness: () => storeReadiness(store) });
        // As on the environment's Page with ROLE=web: the store's routes, no flows (sequence routes answer 501).
        const now = options.now ?? Date.now;
        admins.set(page.id, pageAdminDeps({ store, pageId: page.id, partitions: config.INBOX_PARTITIONS, now }));
      } else {
        // A test's store, Graph client or handler is one Page's: every other Page builds its own.
        const service = await startService(configOfPage(config, page, 'worker'), {
          ...(options.now ? { now: options.now } : {}),
          ...(page.settingsFile === undefined ? {} : { settingsFile: page.settingsFile }),
          logger: pageLogger,
          processMetrics: false,
          noListener: true,
          ...shared,
        });
        started.push(service);
        workers.set(page.id, service);
        inboxes.set(page.id, service.store.inbox);
        otherPages.push({ page: page.id, readiness: service.readiness, metrics: service.metrics });
        admins.set(page.id, service.admin);
      }
    }
    main = await startService(homeConfig, {
      ...options,
      ...homeSettings,
      logger: logger.child({ page: home.id }),
      ...shared,
      pageInboxes: inboxes,
      pageApps: otherApps(pages, home),
      otherPages,
      pageAdmins: admins,
    });
    logger.info({ pages: pages.pages.map((p) => ({ page: p.id, keyPrefix: p.keyPrefix })) }, 'serving several Pages');
    let stopping: Promise<void> | undefined;
    return { main, pages: workers, stop: () => (stopping ??= stopAll()) };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A Page the web process only appends to (ROLE=web): ready while its store answers. */
async function storeReadiness(store: Store): Promise<Readiness> {
  const ok = await store.ping().then(
    () => true,
    () => false,
  );
  return { ready: ok, checks: { store: ok ? 'ok' : 'unreachable' } };
}
