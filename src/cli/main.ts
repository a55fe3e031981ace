#!/usr/bin/env node
import 'dotenv/config';
import { Command } from 'commander';
import { loadConfig } from '../config/config';
import { ConfigError, TalkshopError } from '../errors';
import { startService, WEBHOOK_PATH } from '../server';
import { withDemoEnv } from './demoEnv';
import { startFakeGraphApi } from '../emulator/fakeGraphApi';
import { describeCall } from './describeCall';
import { addFlowsCommand } from './flowsCommand';
import { addProfileCommand } from './profileCommand';
import { sendEvent } from './sendEvent';

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

const program = new Command('talkshop').description('Talkshop: Messenger marketing bot service');

program
  .command('serve')
  .description('run the service with the configuration in the environment (.env is read)')
  .action(async () => {
    const service = await startService(configOrExit(process.env));
    stopOnSignals(service.stop);
  });

program
  .command('demo')
  .description('run the service with demo credentials (in-memory store unless REDIS_URL is set)')
  .action(async () => {
    const demoEnv = withDemoEnv(process.env);
    // Meta is out of reach: the demo talks to the local fake Graph API, which checks every call
    // as Meta would, and prints what reached it.
    const fake = await startFakeGraphApi({
      appSecret: demoEnv.MESSENGER_APP_SECRET ?? '',
      accessToken: demoEnv.MESSENGER_ACCESS_TOKEN ?? '',
      pageId: demoEnv.MESSENGER_PAGE_ID ?? '',
      appId: demoEnv.MESSENGER_APP_ID,
    });
    fake.onCall((call) => {
      const line = describeCall(call);
      if (line) process.stdout.write(`${line}\n`);
    });
    const config = configOrExit({ ...demoEnv, GRAPH_API_URL: fake.url });
    const service = await startService(config);
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
    const config = configOrExit(opts.demo ? withDemoEnv(process.env) : process.env);
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
addProfileCommand(program, () => configOrExit(process.env));

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`talkshop: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof TalkshopError && err.code === 'FLOWS_INVALID' ? 2 : 1);
});
