#!/usr/bin/env node
import { Command } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { loadConfig } from '../config/config';
import { ConfigError, TalkshopError } from '../errors';
import { openStoreFromConfig, startService, WEBHOOK_PATH } from '../server';
import { DEMO_IDENTITY, demoEnv, describeIgnored } from './demoEnv';
import { startFakeGraphApi } from '../emulator/fakeGraphApi';
import { describeCall } from './describeCall';
import { addFlowsCommand } from './flowsCommand';
import { addProfileCommand } from './profileCommand';
import { sendEvent } from './sendEvent';
import { addUsersCommand } from './usersCommand';
import { addAudienceCommand } from './audienceCommand';
import { addBroadcastCommand } from './broadcastCommand';

function configOrExit(env: Record<string, string | undefined>) {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nSee .env.example for every variable and what it expects.\n`);
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
  command.name() === 'demo' || (command.name() === 'send-event' && Boolean(command.opts<{ demo?: boolean }>().demo));

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
    const service = await startService(configOrExit(process.env));
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
  .action(async (opts: { redis?: string }) => {
    // Meta is out of reach: the demo talks to the local fake Graph API, which checks every call
    // as Meta would, and prints what reached it.
    const fake = await startFakeGraphApi({
      appSecret: DEMO_IDENTITY.MESSENGER_APP_SECRET,
      accessToken: DEMO_IDENTITY.MESSENGER_ACCESS_TOKEN,
      pageId: DEMO_IDENTITY.MESSENGER_PAGE_ID,
      appId: DEMO_IDENTITY.MESSENGER_APP_ID,
    });
    fake.onCall((call) => {
      const line = describeCall(call);
      if (line) process.stdout.write(`${line}\n`);
    });
    const demo = demoEnv(process.env, { graphApiUrl: fake.url, redisUrl: opts.redis });
    const ignoredLine = describeIgnored(demo.ignored, opts.redis !== undefined);
    if (ignoredLine) process.stderr.write(`${ignoredLine}\n`);
    const config = configOrExit(demo.env);
    const service = await startService(config, { requireOwnStore: true });
    stopOnSignals(async () => {
      await service.stop();
      await fake.stop();
    });
    process.stdout.write(
      `\nTalkshop demo on http://127.0.0.1:${service.port}\n` +
        `  webhook   http://127.0.0.1:${service.port}${WEBHOOK_PATH}  (verify token: ${config.MESSENGER_VERIFY_TOKEN})\n` +
        `  metrics   http://127.0.0.1:${service.port}/metrics\n` +
        `  Graph API ${fake.url}  (local fake: nothing leaves this machine)\n` +
        `  say hi:   npm run demo:event -- --text "hello"   (the bot's replies are printed here)\n\n`,
    );
  });

program
  .command('send-event')
  .description('sign and POST a text message to a running Talkshop, as Meta would')
  .option('--text <text>', 'message text', 'hello')
  .option('--user <psid>', 'sender PSID', 'demo-user-1')
  .option('--url <url>', 'Talkshop base URL (default http://127.0.0.1:$PORT)')
  .option('--demo', 'use the demo credentials (as `talkshop demo` does)')
  .action(async (opts: { text: string; user: string; url?: string; demo?: boolean }) => {
    const config = configOrExit(opts.demo ? demoEnv(process.env, { graphApiUrl: NO_GRAPH_API }).env : process.env);
    const base = opts.url ?? `http://127.0.0.1:${config.PORT}`;
    const result = await sendEvent({
      url: `${base}${WEBHOOK_PATH}`,
      appSecret: config.MESSENGER_APP_SECRET,
      pageId: config.MESSENGER_PAGE_ID,
      userId: opts.user,
      text: opts.text,
      now: Date.now(),
    });
    process.stdout.write(`${result.status} ${result.body}\n`);
    process.exitCode = result.status === 200 ? 0 : 1;
  });

addFlowsCommand(program);
addBroadcastCommand(program, { config: () => configOrExit(process.env), openStore: openStoreFromConfig });
addProfileCommand(program, () => configOrExit(process.env));
addUsersCommand(program, { config: () => configOrExit(process.env), openStore: openStoreFromConfig });
addAudienceCommand(program, { config: () => configOrExit(process.env), openStore: openStoreFromConfig });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`talkshop: ${err instanceof Error ? err.message : String(err)}\n`);
  // 2: the configuration, flows or store were refused before anything ran; 1: anything else.
  const refused = err instanceof TalkshopError && (err.code === 'FLOWS_INVALID' || err.code === 'STORE_NOT_OURS');
  process.exit(refused ? 2 : 1);
});
