import { userInfo } from 'node:os';
import type { Command } from 'commander';
import pino from 'pino';
import { enqueueCommand } from '../admin/userRecord';
import { readSequenceReport, readSequenceReports } from '../broadcasts/sequenceReport';
import type { Config } from '../config/config';
import type { FlowSet } from '../engine/flowSet';
import { loadFlows } from '../flows/loadFlows';
import type { Logger } from '../logger';
import { partitionOf, userKeyOf } from '../store/partitionOf';
import type { BroadcastStore, Store } from '../store/ports';
import { formatSequenceList, formatSequenceStatus } from './sequenceSummary';

export interface SequenceCommandDeps {
  readonly config: () => Config;
  /** The store of the running service (server.ts openStoreFromConfig); closed by the command. */
  readonly openStore: (config: Config, logger: Logger) => Promise<Store>;
  /** The Page's settings file in place of its flows folder's (PAGES_FILE `settings`, `--page`); default the folder's. */
  readonly settingsFile?: () => string | undefined;
}

/** Exit codes, as the broadcast commands: 1 invalid or refused, 2 no such sequence or user. */
const INVALID = 1;
const NOT_FOUND = 2;

const stderrLogger = (): Logger => pino({ level: 'warn', base: { service: 'talkshop' } }, pino.destination(2));
const out = (text: string) => void process.stdout.write(text);
const json = (value: unknown) => out(`${JSON.stringify(value)}\n`);
const fail = (message: string, code: number): void => {
  process.stderr.write(`talkshop sequence: ${message}\n`);
  process.exitCode = code;
};
/** Who started or stopped it, as the user's lane records it (the admin API gives the token's name). */
const who = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

interface Session {
  readonly flows: FlowSet;
  readonly broadcasts: BroadcastStore;
  readonly store: Store;
  readonly config: Config;
}

/**
 * `talkshop sequence list|status|start|stop`: the drip sequences of FLOWS_DIR with each step's
 * counters from the configured Redis, and starting or stopping one for a user (a command in their
 * inbox lane, as the admin API queues it). The in-memory store lives inside the running service:
 * use its admin API (/admin/sequences).
 */
export function addSequenceCommand(program: Command, deps: SequenceCommandDeps): void {
  const sequence = program
    .command('sequence')
    .description("drip sequences: each step's statistics; start or stop one for a user (on REDIS_URL)");

  const session = async (run: (s: Session) => Promise<void>) => {
    const config = deps.config();
    if (!config.REDIS_URL)
      return fail(
        'REDIS_URL is not set: the in-memory store lives inside the running service; use its admin API (/admin/sequences)',
        INVALID,
      );
    const settingsFile = deps.settingsFile?.();
    const loaded = loadFlows(config.FLOWS_DIR, settingsFile === undefined ? {} : { settingsFile });
    if (!loaded.ok)
      return fail(
        `the flows and sequences in ${config.FLOWS_DIR} do not load; run talkshop flows check ${config.FLOWS_DIR}`,
        INVALID,
      );
    const store = await deps.openStore(config, stderrLogger());
    try {
      if (!store.broadcasts) return fail('this store keeps no statistics', INVALID);
      await run({ flows: loaded.flowSet, broadcasts: store.broadcasts, store, config });
    } finally {
      await store.close();
    }
  };
  const noSequence = (id: string) => fail(`no sequence with the id "${id}" in FLOWS_DIR/sequences/`, NOT_FOUND);

  sequence
    .command('list')
    .option('--json', 'print one JSON object')
    .description("the sequences in FLOWS_DIR/sequences/, each with its steps' counts added up")
    .action((opts: { json?: boolean }) =>
      session(async ({ flows, broadcasts, config }) => {
        const reports = await readSequenceReports(broadcasts, flows, config.INBOX_PARTITIONS);
        if (opts.json) json({ count: reports.length, sequences: reports });
        else out(formatSequenceList(reports));
      }),
    );

  sequence
    .command('status')
    .argument('<id>', 'the sequence id')
    .option('--json', 'print the report as one JSON object')
    .description(
      'a row per step: targeted, sent, each skip reason, failed, delivered, read, clicked, replied (summed over every user)',
    )
    .action((id: string, opts: { json?: boolean }) =>
      session(async ({ flows, broadcasts, config }) => {
        const def = flows.sequences.get(id);
        if (!def) return noSequence(id);
        const report = await readSequenceReport(broadcasts, def, config.INBOX_PARTITIONS);
        if (opts.json) json(report);
        else out(formatSequenceStatus(report));
      }),
    );

  const command = (action: 'start' | 'stop', description: string) =>
    sequence
      .command(action)
      .argument('<id>', 'the sequence id')
      .requiredOption('--psid <psid>', "the user's PSID")
      .description(description)
      .action((id: string, opts: { psid: string }) =>
        session(async ({ flows, store, config }) => {
          if (!/^[A-Za-z0-9_-]{1,64}$/.test(opts.psid))
            return fail(`--psid "${opts.psid}": expected a PSID (letters, digits, _ or -)`, INVALID);
          if (!flows.sequences.has(id)) return noSequence(id);
          const pageId = config.MESSENGER_PAGE_ID;
          const partitions = config.INBOX_PARTITIONS;
          const stored = await store.states.load(partitionOf(pageId, opts.psid, partitions), userKeyOf(pageId, opts.psid));
          if (stored.version === 0) return fail(`no conversation with ${opts.psid} on this Page`, NOT_FOUND);
          await enqueueCommand(store, { pageId, partitions, psid: opts.psid }, Date.now(), {
            command: 'sequence',
            sequence: id,
            action,
            by: who(),
          });
          out(`${action} of ${id} queued for ${opts.psid}\n`);
        }),
      );
  command(
    'start',
    'start it for a user, in their lane (a running one is left as it is; steps reach them only while they are subscribed to its topic)',
  );
  command('stop', 'stop it for a user: the step timer armed for them is disarmed');
}
