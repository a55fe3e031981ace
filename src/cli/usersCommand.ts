import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import pino from 'pino';
import { z } from 'zod';
import { enqueueForget, exportUser, type UserAddress } from '../admin/userRecord';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import { partitionOf, userKeyOf } from '../store/partitionOf';
import type { Store } from '../store/ports';

const psidSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a PSID (letters, digits, _ or -)');

export interface UsersCommandDeps {
  readonly config: () => Config;
  /** The store of the running service (server.ts openStoreFromConfig); closed by the command. */
  readonly openStore: (config: Config, logger: Logger) => Promise<Store>;
}

/** stdout carries the JSON answer, so the log (the audit line included) goes to stderr. */
const stderrLogger = (): Logger => pino({ level: 'info', base: { service: 'talkshop', pid: process.pid } }, pino.destination(2));

const fail = (message: string, code: number): void => {
  process.stderr.write(`talkshop users: ${message}\n`);
  process.exitCode = code;
};

/** Who ran the command, for the audit line (the admin API names its token instead). */
const operator = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

async function confirmed(psid: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(
    `Erase everything Talkshop holds about ${psid}? This cannot be undone. Type the PSID to confirm: `,
  );
  rl.close();
  return answer.trim() === psid;
}

/**
 * `talkshop users export <psid>` (the user's full record as JSON on stdout) and `talkshop users
 * delete <psid> [--yes]` (queues the erase in the user's lane and waits for a worker to apply
 * it). Both work on the Redis of a running service; the in-memory store lives inside that
 * service, so there they refuse and point to the admin API. Exit codes: 0 done, 1 not done
 * (the store failed, or no worker applied the erase in time: it stays queued), 2 refused.
 */
export function addUsersCommand(program: Command, deps: UsersCommandDeps): void {
  const users = program.command('users').description("a customer's record: export it, or erase it (README: Export and delete)");

  const withStore = async (psidArg: string, run: (store: Store, a: UserAddress, logger: Logger) => Promise<void>) => {
    const psid = psidSchema.safeParse(psidArg);
    if (!psid.success) return fail(`"${psidArg}": ${psid.error.issues[0]?.message ?? 'invalid'}`, 2);
    const config = deps.config();
    if (!config.REDIS_URL)
      return fail(
        'REDIS_URL is not set: the in-memory store lives inside the running service; use its admin API (GET /admin/users/:psid/export, DELETE /admin/users/:psid)',
        2,
      );
    const logger = stderrLogger();
    const store = await deps.openStore(config, logger);
    try {
      await run(store, { pageId: config.MESSENGER_PAGE_ID, partitions: config.INBOX_PARTITIONS, psid: psid.data }, logger);
    } finally {
      await store.close();
    }
  };

  users
    .command('export')
    .argument('<psid>', "the customer's PSID")
    .description("print the customer's full record as JSON: state, fields, tags, consent, transcript, pending sends, timers")
    .action((psid: string) =>
      withStore(psid, async (store, a, logger) => {
        const record = await exportUser(store, a, Date.now());
        logger.info({ audit: true, action: 'exportUser', by: operator(), psid: a.psid }, `users export by ${operator()}`);
        process.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      }),
    );

  users
    .command('delete')
    .argument('<psid>', "the customer's PSID")
    .option('--yes', 'do not ask for confirmation')
    .option('--wait <seconds>', 'how long to wait for a worker to apply the erase', '30')
    .description('erase the customer: everything but a tombstone (a digest) that keeps broadcasts and sequences away')
    .action((psid: string, opts: { yes?: boolean; wait: string }) =>
      withStore(psid, async (store, a, logger) => {
        if (!opts.yes && !(await confirmed(a.psid)))
          return fail(
            process.stdin.isTTY ? 'not confirmed; nothing erased' : 'pass --yes to erase without a prompt; nothing erased',
            2,
          );
        const partition = partitionOf(a.pageId, a.psid, a.partitions);
        const userKey = userKeyOf(a.pageId, a.psid);
        const before = await store.states.forgottenAt(partition, userKey);
        await enqueueForget(store, a, Date.now());
        logger.info({ audit: true, action: 'forgetUser', by: operator(), psid: a.psid }, `users delete by ${operator()}`);
        // Done when a worker wrote the tombstone (a new one if the user had been erased before).
        const deadline = Date.now() + Math.max(0, Number(opts.wait) || 0) * 1000;
        for (;;) {
          const at = await store.states.forgottenAt(partition, userKey);
          if (at !== null && at !== before) {
            process.stdout.write(`${JSON.stringify({ psid: a.psid, erased: true, at })}\n`);
            return;
          }
          if (Date.now() >= deadline) break;
          await sleep(100);
        }
        process.stdout.write(`${JSON.stringify({ psid: a.psid, erased: false, queued: true })}\n`);
        fail(
          'queued, but no worker applied it in time (is the service running?); it is applied when a worker takes the partition',
          1,
        );
      }),
    );
}
