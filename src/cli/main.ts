#!/usr/bin/env node
import { Command } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { loadConfig, type Config } from '../config/config';
import { loadPagesConfig, type PagesConfig } from '../config/pagesConfig';
import { loadFlows } from '../flows/loadFlows';
import { formatProblem } from '../flows/problem';
import { startPagesService } from '../pagesService';
import { ConfigError, TalkshopError } from '../errors';
import { openStoreFromConfig, startService, WEBHOOK_PATH } from '../server';
import { DEMO_ADMIN_TOKEN, DEMO_IDENTITY, demoEnv, describeIgnored } from './demoEnv';
import { sendBroadcast } from './demoBroadcast';
import { startFakeGraphApi } from '../emulator/fakeGraphApi';
import { describeCall } from './describeCall';
import { demoClockRoute, describeSpeed, MAX_DEMO_SPEED, parseSpeed, readDemoClock, startDemoClock } from './demoClock';
import { DEMO_SHOP_PORT_ENV, describeShopCall, shopBannerLine, startDemoShop } from './demoShop';
import { DEMO_PAGE_PATH, startDemoWeb } from './demoWeb';
import { addCatalogCommand } from './catalogCommand';
import { addFlowsCommand } from './flowsCommand';
import { sendEvent } from './sendEvent';
import { addPageCommands } from './pageCommands';

function configOrExit(env: Record<string, string | undefined>) {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nSee .env.example for every variable and what it expects.\n`);
    process.exit(2);
  }
}

function pagesOrExit(config: Config): PagesConfig {
  const checkFlows = (dir: string, settingsFile: string | undefined) => {
    const result = loadFlows(dir, settingsFile === undefined ? {} : { settingsFile });
    return result.ok ? [] : result.problems.filter((p) => p.severity === 'error').map(formatProblem);
  };
  try {
    return loadPagesConfig(config, process.env, { checkFlows });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nSee docs/pages.md for PAGES_FILE.\n`);
    process.exit(2);
  }
}

function stopOnSignals(stop: () => Promise<void>): void {
  const handler = () =>
    void stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}

/** The demo and `send-event --demo` run with the demo's identity, which a production .env must not reach. */
const usesDemoIdentity = (command: Command): boolean =>
  command.name() === 'demo' ||
  (['send-event', 'send-broadcast'].includes(command.name()) && Boolean(command.opts<{ demo?: boolean }>().demo));

/** In the demo, a message the fake accepted is delivered 0.3 s later and read 1 s after that. */
const DEMO_AUTO_DELIVER = { delayMs: 300, readDelayMs: 1000 } as const;

/** Where this machine reaches a service listening on `host` (a wildcard address is reached on loopback). */
const loopbackOf = (host: string): string =>
  ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

/** The banner's clock line: real time, or how fast the demo's clock runs and what that does to the 24 h window. */
const speedLine = (speed: number): string =>
  speed === 1
    ? 'real time  (--speed <n>: n times faster, e.g. --speed 3600: 1 second = 1 hour)'
    : `${speed}× real time: ${describeSpeed(speed)}  (a customer's 24 h messaging window closes after ${realDuration(
        (24 * 3600 * 1000) / speed,
      )})`;

const realDuration = (ms: number): string =>
  ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;

/** A discard address: `send-event` posts to the webhook and never calls the Graph API. */
const NO_GRAPH_API = 'http://127.0.0.1:9';

const program = new Command('talkshop').description('Talkshop: Messenger marketing bot service');

// `.env` is the real service's configuration (on a production host, production's), so it is read
// for every command except the demo's: the demo never sees production's Page, tokens or Redis.
program.hook('preAction', (_program, action) => {
  // quiet: stdout carries the JSON log lines, and dotenv would print a banner there.
  if (!usesDemoIdentity(action)) loadDotenv({ quiet: true });
});

program
  .command('serve')
  .description('run the service with the configuration in the environment (.env is read)')
  .action(async () => {
    const config = configOrExit(process.env);
    // One Page (no PAGES_FILE): startService as ever. Several: each Page's flows linted first, every problem at once.
    const service = config.PAGES_FILE ? await startPagesService(config, pagesOrExit(config)) : await startService(config);
    stopOnSignals(service.stop);
  });

program
  .command('demo')
  .description(
    'run the service with demo credentials on an in-memory store; never reads .env, REDIS_URL or any MESSENGER_* setting',
  )
  .option(
    '--redis <url>',
    'run the demo on this Redis, under its own key prefix (refused if that prefix holds data the demo did not write)',
  )
  .option(
    '--speed <n>',
    `run the demo's clock n times faster than real time (1 to ${MAX_DEMO_SPEED}; 3600: 1 second = 1 hour, 10080: 1 minute = 1 week)`,
    '1',
  )
  .action(async (opts: { redis?: string; speed: string }) => {
    const speed = parseSpeed(opts.speed);
    if (!speed.ok) {
      process.stderr.write(`demo: ${speed.message}\n`);
      process.exitCode = 2;
      return;
    }
    // One business clock for the service and the fake, so the fake's delivery and read times
    // agree with the sends' times; sequences' delays and windows run on it.
    const startedAt = Date.now();
    // The page's clock buttons move it forward (POST /demo/clock), so `clock` reads it through demoClock.
    const demoClock = startDemoClock(startedAt, speed.speed);
    const clock = demoClock.now;
    // The shop flows/shop.yaml asks for an order's status (README "Try the demo").
    const shop = await startDemoShop(process.env[DEMO_SHOP_PORT_ENV], clock);
    if (!shop.ok) {
      process.stderr.write(`demo: ${shop.message}\n`);
      process.exitCode = 2;
      return;
    }
    if (shop.notice) process.stderr.write(`${shop.notice}\n`);
    shop.shop?.onCall((call) => process.stdout.write(`${describeShopCall(call)}\n`));
    // Meta is out of reach: the demo talks to the local fake Graph API, which checks every call
    // as Meta would, and prints what reached it.
    const fake = await startFakeGraphApi({
      appSecret: DEMO_IDENTITY.MESSENGER_APP_SECRET,
      accessToken: DEMO_IDENTITY.MESSENGER_ACCESS_TOKEN,
      pageId: DEMO_IDENTITY.MESSENGER_PAGE_ID,
      appId: DEMO_IDENTITY.MESSENGER_APP_ID,
      now: clock,
    });
    fake.onCall((call) => {
      const line = describeCall(call);
      if (line) process.stdout.write(`${line}\n`);
    });
    const demo = demoEnv(process.env, { graphApiUrl: fake.url, redisUrl: opts.redis });
    const ignoredLine = describeIgnored(demo.ignored, opts.redis !== undefined);
    if (ignoredLine) process.stderr.write(`${ignoredLine}\n`);
    const config = configOrExit(demo.env);
    // The demo's web page (src/cli/demoWeb.ts): customers in a browser, through the signed webhook.
    const web = startDemoWeb({
      appSecret: config.MESSENGER_APP_SECRET,
      pageId: config.MESSENGER_PAGE_ID,
      now: clock,
      onCall: fake.onCall,
      adminToken: DEMO_ADMIN_TOKEN,
      threads: { appId: config.MESSENGER_APP_ID, ownerOf: fake.threadOwnerOf, setOwner: fake.setThreadOwner },
      // The page's comment box: the fake answers a private reply with the commenting customer's PSID.
      comments: fake.comments,
    });
    const clockRoute = demoClockRoute(demoClock);
    const service = await startService(config, {
      requireOwnStore: true,
      now: clock,
      routes: (req, res) => clockRoute(req, res) || web.route(req, res),
    });
    // As Meta does, the fake reports each message it accepted as delivered, then read, to the
    // webhook: so a broadcast's delivered and read counts move in the demo.
    fake.webhooks.configure({
      url: `http://${loopbackOf(config.HOST)}:${service.port}${WEBHOOK_PATH}`,
      autoDeliver: DEMO_AUTO_DELIVER,
    });
    web.attach(`http://${loopbackOf(config.HOST)}:${service.port}${WEBHOOK_PATH}`);
    if (service.adminPort !== undefined) web.attachAdmin(`http://${config.ADMIN_HOST}:${service.adminPort}/admin`);
    stopOnSignals(async () => {
      fake.webhooks.unconfigure();
      web.stop();
      await service.stop();
      await fake.stop();
      await shop.shop?.stop();
    });
    process.stdout.write(
      `\nTalkshop demo on http://127.0.0.1:${service.port}\n` +
        `  page      http://127.0.0.1:${service.port}${DEMO_PAGE_PATH}  (open it in a browser: customers on Messenger talk to the bot)\n` +
        `  webhook   http://127.0.0.1:${service.port}${WEBHOOK_PATH}  (verify token: ${config.MESSENGER_VERIFY_TOKEN})\n` +
        `  metrics   http://127.0.0.1:${service.port}/metrics\n` +
        `  admin API http://127.0.0.1:${service.adminPort ?? '?'}/admin  (token: ${DEMO_ADMIN_TOKEN}; loopback only)\n` +
        `  Graph API ${fake.url}  (local fake: nothing leaves this machine; it reports each message delivered, then read)\n` +
        `  clock     ${speedLine(speed.speed)}\n` +
        `${shopBannerLine(shop.url)}\n` +
        `  say hi:   npm run demo:event -- --text "hello"   (the bot's replies are printed here)\n` +
        `  broadcast: npm run demo:broadcast   (to the users who took "Get 10% off": README "Quick start")\n\n`,
    );
  });

program
  .command('send-event')
  .description('sign and POST a text message (or a comment on a Page post) to a running Talkshop, as Meta would')
  .option('--text <text>', 'message text', 'hello')
  .option('--comment <text>', 'post a comment under a Page post instead (a Page feed webhook): Comments to Messenger')
  .option('--post <id>', 'the post --comment is under (default <page id>_1)')
  .option('--user <psid>', 'sender PSID (a commenter: their feed id is fb-<user>)', 'demo-user-1')
  .option('--url <url>', 'Talkshop base URL (default http://127.0.0.1:$PORT)')
  .option('--demo', 'use the demo credentials (as `talkshop demo` does)')
  .action(async (opts: { text: string; comment?: string; post?: string; user: string; url?: string; demo?: boolean }) => {
    const config = configOrExit(opts.demo ? demoEnv(process.env, { graphApiUrl: NO_GRAPH_API }).env : process.env);
    const base = opts.url ?? `http://127.0.0.1:${config.PORT}`;
    // Meta stamps an event when the customer acts; the demo's clock may run faster than real time
    // (--speed), and a message stamped with real time would then open a window that closed long
    // ago, or be dropped as too old. So --demo asks the demo for its time.
    const now = opts.demo ? ((await readDemoClock(base))?.now ?? Date.now()) : Date.now();
    const result = await sendEvent({
      url: `${base}${WEBHOOK_PATH}`,
      appSecret: config.MESSENGER_APP_SECRET,
      pageId: config.MESSENGER_PAGE_ID,
      userId: opts.user,
      text: opts.comment ?? opts.text,
      now,
      ...(opts.comment === undefined ? {} : { commentOnPost: opts.post ?? `${config.MESSENGER_PAGE_ID}_1` }),
    });
    process.stdout.write(`${result.status} ${result.body}\n`);
    process.exitCode = result.status === 200 ? 0 : 1;
  });

program
  .command('send-broadcast')
  .description("create a broadcast through a running service's admin API and follow its statistics to the summary")
  .argument('[file]', 'the broadcast definition (YAML or JSON)', 'broadcasts/demo-news.yaml')
  .option('--demo', "the running demo's admin API and token (as `talkshop demo` prints them)")
  .option('--url <url>', 'the admin API base URL (default http://127.0.0.1:$ADMIN_PORT)')
  .option('--id <id>', "send under this id instead of the file's (each id reaches a user at most once)")
  .option('--follow <seconds>', 'after the sending, how long to wait for deliveries and reads', '10')
  .action(async (file: string, opts: { demo?: boolean; url?: string; id?: string; follow: string }) => {
    // Outside the demo the token comes from ADMIN_TOKEN (environment or .env), never from the
    // command line, where other users of the host could read it.
    const env = opts.demo ? demoEnv(process.env, { graphApiUrl: NO_GRAPH_API }).env : process.env;
    const token = opts.demo ? DEMO_ADMIN_TOKEN : process.env.ADMIN_TOKEN;
    const follow = Number(opts.follow);
    if (!token || !Number.isFinite(follow) || follow < 0) {
      process.stderr.write(
        !token
          ? 'send-broadcast: set ADMIN_TOKEN (an operator or marketer token), or use --demo for the running demo\n'
          : 'send-broadcast: --follow expects a number of seconds\n',
      );
      process.exitCode = 2;
      return;
    }
    const adminPort = env.ADMIN_PORT ?? '3001';
    if (opts.url === undefined && adminPort === '0') {
      process.stderr.write('send-broadcast: the demo listens on PORT=0 (any port): pass --url with the admin URL it printed\n');
      process.exitCode = 2;
      return;
    }
    process.exitCode = await sendBroadcast({
      file,
      adminUrl: (opts.url ?? `http://127.0.0.1:${adminPort}`).replace(/\/+$/, ''),
      token,
      ...(opts.id === undefined ? {} : { id: opts.id }),
      pollMs: 1000,
      followMs: follow * 1000,
      out: process.stdout,
      err: process.stderr,
      now: Date.now,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
  });

addFlowsCommand(program);
addCatalogCommand(program);
// broadcast, profile, users, audience, sequence, insights: on the environment's Page, or --page <id>.
addPageCommands(program, {
  config: () => configOrExit(process.env),
  env: () => process.env,
  openStore: openStoreFromConfig,
  refuse: (message) => {
    process.stderr.write(`talkshop: ${message}\n`);
    process.exit(2);
  },
});

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`talkshop: ${err instanceof Error ? err.message : String(err)}\n`);
  // 2: the configuration, flows or store were refused before anything ran; 1: anything else.
  const refused = err instanceof TalkshopError && (err.code === 'FLOWS_INVALID' || err.code === 'STORE_NOT_OURS');
  process.exit(refused ? 2 : 1);
});
