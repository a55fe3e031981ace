import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import pino from 'pino';
import { BroadcastControl, type Change } from '../broadcasts/broadcastControl';
import { broadcastView, type BroadcastView } from '../broadcasts/broadcastCounts';
import type { Config } from '../config/config';
import type { FlowSet } from '../engine/flowSet';
import { loadFlows } from '../flows/loadFlows';
import { syncMarketingTokens } from '../messenger/marketingTokenSync';
import { partitionOf } from '../store/partitionOf';
import { formatProblem } from '../flows/problem';
import type { Logger } from '../logger';
import { createGraphClient, graphClientOptions } from '../messenger/graphClient';
import type { Store } from '../store/ports';
import { formatFunnel, formatList, formatSummary } from './broadcastSummary';
import { watchBroadcast } from './broadcastWatch';

export interface BroadcastStoreDeps {
  readonly config: () => Config;
  /** The store of the running service (server.ts openStoreFromConfig); closed by the command. */
  readonly openStore: (config: Config, logger: Logger) => Promise<Store>;
  /** The Page's settings file in place of its flows folder's (PAGES_FILE `settings`, `--page`); default the folder's. */
  readonly settingsFile?: () => string | undefined;
}

/** Exit codes: 1 invalid or refused, 2 no such broadcast. */
const INVALID = 1;
const NOT_FOUND = 2;
/** Polls once a second; without a terminal, a progress line every 5 s. */
const POLL_MS = 1_000;
const LINE_EVERY_MS = 5_000;

const stderrLogger = (): Logger => pino({ level: 'warn', base: { service: 'talkshop' } }, pino.destination(2));
const out = (text: string) => void process.stdout.write(text);
const fail = (message: string, code: number): void => {
  process.stderr.write(`talkshop broadcast: ${message}\n`);
  process.exitCode = code;
};
/** Who created it, as the record keeps it (the admin API keeps the token's name). */
const creator = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

interface Session {
  readonly control: BroadcastControl;
  readonly store: Store;
  readonly config: Config;
}

/**
 * `talkshop broadcast create|list|status|pause|resume|cancel|test`: the marketers' broadcast
 * commands on the configured Redis (the in-memory store lives inside the running service: use its
 * admin API). The same BroadcastControl as the admin API, so both check and refuse alike.
 */
export function addBroadcastStoreCommands(broadcast: Command, deps: BroadcastStoreDeps): void {
  const flowsOf = (dir: string) => {
    const settingsFile = deps.settingsFile?.();
    return loadFlows(dir, settingsFile === undefined ? {} : { settingsFile });
  };
  const withControl = async (run: (s: Session) => Promise<void>, flows?: FlowSet) => {
    const config = deps.config();
    if (!config.REDIS_URL)
      return fail(
        'REDIS_URL is not set: the in-memory store lives inside the running service; use its admin API (/admin/broadcasts)',
        INVALID,
      );
    const logger = stderrLogger();
    const store = await deps.openStore(config, logger);
    const adAccount = config.MARKETING_AD_ACCOUNT_ID;
    // A Graph client only to create a Marketing Messages campaign, never to send.
    const graph = adAccount ? createGraphClient(graphClientOptions(config, { logger })) : undefined;
    try {
      if (!store.broadcasts) return fail('this store keeps no broadcasts', INVALID);
      const control = new BroadcastControl({
        broadcasts: store.broadcasts,
        inbox: store.inbox,
        pageId: config.MESSENGER_PAGE_ID,
        partitions: config.INBOX_PARTITIONS,
        now: Date.now,
        flows,
        adAccountId: adAccount,
        createCampaign: graph && adAccount ? (b) => graph.createMessageCampaign(adAccount, { name: b.name }) : undefined,
      });
      await run({ control, store, config });
    } finally {
      graph?.close();
      await store.close();
    }
  };
  /** The flows for the node order of a funnel; a funnel reads the counters either way, so a flow set that does not load only loses the order. */
  const flowsOrNone = (): FlowSet | undefined => {
    const loaded = flowsOf(deps.config().FLOWS_DIR);
    return loaded.ok ? loaded.flowSet : undefined;
  };
  const viewOf = async (control: BroadcastControl, id: string): Promise<BroadcastView | null> => {
    const report = await control.report(id);
    return report && broadcastView(report);
  };
  const json = (value: unknown) => out(`${JSON.stringify(value)}\n`);

  /** Follows the sending (bar or lines on stderr), then prints the summary (or the JSON report). */
  const follow = async ({ control }: Session, id: string, asJson: boolean) => {
    const tty = process.stderr.isTTY === true;
    const stopOnInterrupt = () => {
      process.stderr.write(
        `\nstopped watching; ${id} goes on sending. Follow it with: talkshop broadcast status ${id} --watch\n`,
      );
      process.exit(130);
    };
    process.once('SIGINT', stopOnInterrupt);
    try {
      const view = await watchBroadcast({
        report: () => viewOf(control, id),
        stream: process.stderr,
        tty,
        quiet: asJson,
        pollMs: POLL_MS,
        lineEveryMs: LINE_EVERY_MS,
        now: Date.now,
        sleep: (ms) => sleep(ms),
      });
      if (!view) return fail(`no broadcast with the id "${id}"`, NOT_FOUND);
      if (asJson) json(view);
      else out(formatSummary(view));
    } finally {
      process.removeListener('SIGINT', stopOnInterrupt);
    }
  };

  broadcast
    .command('create')
    .argument('<file>', 'a broadcast definition (YAML or JSON), as in broadcasts/')
    .option('--test', "also send it to its test_psids (the admins' own PSIDs) now")
    .option('--json', 'print the report as one JSON object (no progress bar)')
    .option('--no-wait', 'return once it is created instead of following the sending')
    .description(
      'check a definition (as broadcast check does) and start it; follows the sending with a progress bar, then prints the summary',
    )
    .action(async (file: string, opts: { test?: boolean; json?: boolean; wait: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return fail(`cannot read ${file}`, INVALID);
      }
      const config = deps.config();
      const flows = flowsOf(config.FLOWS_DIR);
      if (!flows.ok)
        return fail(
          `the flows in ${config.FLOWS_DIR} do not load, so start: and payloads cannot be checked; run talkshop flows check ${config.FLOWS_DIR}`,
          INVALID,
        );
      await withControl(async (session) => {
        const { control } = session;
        const outcome = await control.create(text, relative(process.cwd(), file) || file, creator());
        if (outcome.type === 'invalid') {
          if (opts.json) json({ error: 'invalid_broadcast', problems: outcome.problems });
          else for (const p of outcome.problems) process.stderr.write(`${formatProblem(p)}\n`);
          return fail(`${file} was refused; nothing was stored`, INVALID);
        }
        if (outcome.type === 'exists')
          return fail(
            `a broadcast with the id "${outcome.id}" was already created; a user receives each id at most once, so give this one a new id`,
            INVALID,
          );
        const { record } = outcome;
        for (const w of outcome.warnings) process.stderr.write(`${formatProblem(w)}\n`);
        process.stderr.write(`created ${record.id} (${record.status}, starts ${new Date(record.startAt).toISOString()})\n`);
        if (opts.test) {
          const tested = await control.test(record.id);
          if (tested.type === 'sent') process.stderr.write(`test sent to ${tested.psids.join(', ')}\n`);
          else process.stderr.write('no test sent: the definition has no test_psids\n');
        }
        // A broadcast whose time has not come is not followed for hours: its status --watch is.
        if (opts.wait && record.status === 'running') return follow(session, record.id, opts.json === true);
        if (opts.wait) process.stderr.write(`follow it once it starts with: talkshop broadcast status ${record.id} --watch\n`);
        const view = await viewOf(control, record.id);
        if (opts.json) json(view);
        else if (view) out(formatSummary(view));
      }, flows.flowSet);
    });

  broadcast
    .command('list')
    .option('--json', 'print one JSON object')
    .option('--limit <n>', 'how many, newest first', (v) => Number(v), 50)
    .description('the broadcasts, newest first, with their status and headline counts')
    .action((opts: { json?: boolean; limit: number }) =>
      withControl(async ({ control }) => {
        if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > 1000)
          return fail('--limit: expected 1 to 1000', INVALID);
        const views = (await control.list(opts.limit)).map(broadcastView);
        if (opts.json) json({ count: views.length, broadcasts: views });
        else out(formatList(views));
      }),
    );

  broadcast
    .command('status')
    .argument('<id>', 'the broadcast id')
    .option('--json', 'print the report as one JSON object')
    .option('--watch', 'follow the sending until it is done or cancelled, then print the summary')
    .description(
      "a broadcast's status and counters (targeted, sent, skips by reason, failures, delivered, read, clicked, replied)",
    )
    .action((id: string, opts: { json?: boolean; watch?: boolean }) =>
      withControl(async (session) => {
        const { control } = session;
        if (opts.watch) return follow(session, id, opts.json === true);
        const view = await viewOf(control, id);
        if (!view) return fail(`no broadcast with the id "${id}"`, NOT_FOUND);
        if (opts.json) json(view);
        else out(formatSummary(view));
      }),
    );

  const change = (move: Change, description: string) =>
    broadcast
      .command(move)
      .argument('<id>', 'the broadcast id')
      .description(description)
      .action((id: string) =>
        withControl(async ({ control }) => {
          const outcome = await control.change(id, move);
          if (outcome.type === 'not_found') return fail(`no broadcast with the id "${id}"`, NOT_FOUND);
          if (outcome.type === 'refused') return fail(`${id} is ${outcome.status}: ${outcome.why}`, INVALID);
          out(`${id}: ${outcome.status}\n`);
        }),
      );
  change('pause', 'stop the fan-out (what is already queued, at most 64 sends per partition, still goes)');
  change('resume', 'go on with a paused broadcast');
  change('cancel', 'stop it for good: no more fan-out, and queued sends are skipped as cancelled');

  broadcast
    .command('sync-tokens')
    .option('--max-pages <n>', 'read at most this many pages of 1,000 subscribers', (v) => Number(v), 100)
    .option('--json', 'print one JSON object')
    .description(
      "read Meta's Marketing Messages subscriber list (GET /<PAGE_ID>/notification_message_tokens) into the users' states: their tokens, and consent for topics they never answered",
    )
    .action((opts: { maxPages: number; json?: boolean }) =>
      withControl(async ({ store, config }) => {
        if (!Number.isInteger(opts.maxPages) || opts.maxPages < 1)
          return fail('--max-pages: expected a whole number ≥ 1', INVALID);
        const graph = createGraphClient(graphClientOptions(config, { logger: stderrLogger() }));
        try {
          const result = await syncMarketingTokens({
            graph,
            pageId: config.MESSENGER_PAGE_ID,
            partitionOf: (psid) => partitionOf(config.MESSENGER_PAGE_ID, psid, config.INBOX_PARTITIONS),
            append: (requests) => store.inbox.append(requests),
            maxPages: opts.maxPages,
            budgetMs: 10 * 60_000,
          });
          if (opts.json) json(result);
          else
            out(
              `${result.tokens} subscriber(s) on ${result.pages} page(s): ${result.appended} new, ${result.duplicates} already synced${result.complete ? '' : ' (stopped early: run it again to go on)'}\n`,
            );
        } finally {
          graph.close();
        }
      }),
    );

  broadcast
    .command('funnel')
    .argument('<flow>', 'the flow id')
    .option('--days <n>', 'how many days, ending today', (v) => Number(v), 7)
    .option('--json', 'print one JSON object')
    .description("a flow's funnel: users reaching each node per day, and per A/B variant")
    .action((flow: string, opts: { days: number; json?: boolean }) =>
      withControl(async ({ control }) => {
        if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 90) return fail('--days: expected 1 to 90', INVALID);
        const report = await control.funnel(flow, opts.days);
        if (opts.json) json(report);
        else out(formatFunnel(report));
      }, flowsOrNone()),
    );

  broadcast
    .command('test')
    .argument('<id>', 'the broadcast id')
    .option(
      '--psid <psid>',
      'send to this PSID instead of the test_psids (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .description("send it to the admins' own PSIDs (its test_psids), counted nowhere, under the same rules")
    .action((id: string, opts: { psid: string[] }) =>
      withControl(async ({ control }) => {
        const bad = opts.psid.find((p) => !/^[A-Za-z0-9_-]{1,64}$/.test(p));
        if (bad !== undefined) return fail(`--psid "${bad}": expected a PSID (letters, digits, _ or -)`, INVALID);
        const outcome = await control.test(id, opts.psid.length > 0 ? opts.psid : undefined);
        if (outcome.type === 'not_found') return fail(`no broadcast with the id "${id}"`, NOT_FOUND);
        if (outcome.type === 'no_psids') return fail(`${id} has no test_psids; pass --psid <your PSID>`, INVALID);
        out(`test of ${id} queued for ${outcome.psids.join(', ')}\n`);
      }),
    );
}
