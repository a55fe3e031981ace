import type { Command } from 'commander';
import pino from 'pino';
import { audienceFilterSchema, type AudienceFilter } from '../audience/audienceFilter';
import { audienceCount } from '../audience/audienceWalk';
import { parseWhere } from '../audience/parseWhere';
import { reindexAudience } from '../audience/reindex';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import { expiryOf } from '../runtime/flowHandler';
import type { AudienceStore, Store } from '../store/ports';

export interface AudienceCommandDeps {
  readonly config: () => Config;
  /** The store of the running service (server.ts openStoreFromConfig); closed by the command. */
  readonly openStore: (config: Config, logger: Logger) => Promise<Store>;
}

/** stdout carries the answer; the log goes to stderr, warnings only. */
const stderrLogger = (): Logger => pino({ level: 'warn', base: { service: 'talkshop' } }, pino.destination(2));
const err = (line: string) => void process.stderr.write(`${line}\n`);
const fail = (message: string, code: number): void => {
  err(`talkshop audience: ${message}`);
  process.exitCode = code;
};

/** The filter of `--where` clauses and `--filter` JSON together (all must hold), or the problems. */
export function filterFromOptions(
  where: readonly string[],
  filterJson: string | undefined,
): { filter: AudienceFilter } | { problems: string[] } {
  const parsedWhere = parseWhere(where);
  if (!parsedWhere.ok) return { problems: parsedWhere.problems };
  if (filterJson === undefined) return { filter: parsedWhere.filter };
  let value: unknown;
  try {
    value = JSON.parse(filterJson);
  } catch {
    return {
      problems: ['--filter: not valid JSON (expected {"all": [conditions]}; see docs/broadcasts.md or README "Audience")'],
    };
  }
  const parsed = audienceFilterSchema.safeParse(value);
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map((i) => `--filter${i.path.length ? ` at ${i.path.join('.')}` : ''}: ${i.message}`),
    };
  return { filter: { all: [...parsed.data.all, ...parsedWhere.filter.all] } };
}

/** Shown for humans: the clauses as given, or "everyone". */
const describe = (where: readonly string[], json: string | undefined) =>
  [...where, ...(json === undefined ? [] : [`filter ${json}`])].join(' AND ') || 'everyone';

/**
 * `talkshop audience count --where CLAUSE … [--filter JSON] [--json]`: how many users a filter
 * selects, streamed partition by partition over the audience index of a running service's
 * Redis. `talkshop audience reindex`: writes the cards of states older than the index. Exit codes:
 * 0 done, 1 the store failed, 2 refused (a bad filter, or no Redis to read).
 */
export function addAudienceCommand(program: Command, deps: AudienceCommandDeps): void {
  const audience = program.command('audience').description('who the marketers can reach: count a segment (README: Audience)');

  const withAudience = async (run: (store: Store, index: AudienceStore, config: Config) => Promise<void>) => {
    const config = deps.config();
    if (!config.REDIS_URL)
      return fail(
        'REDIS_URL is not set: the in-memory store lives inside the running service; use its admin API (GET /admin/audience/count?where=…)',
        2,
      );
    const store = await deps.openStore(config, stderrLogger());
    try {
      if (!store.audience) return fail('this store keeps no audience index', 2);
      await run(store, store.audience, config);
    } finally {
      await store.close();
    }
  };

  audience
    .command('count')
    .description('count the users a filter selects (every --where must hold)')
    .option(
      '--where <clause>',
      'a condition, repeatable: tag=vip, field.age>=18, consent.offers=yes, window<6h, …',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--filter <json>', 'a JSON filter, {"all": [conditions]} (the admin API\'s form), ANDed with --where')
    .option('--json', 'print one JSON object instead of the summary')
    .action((opts: { where: string[]; filter?: string; json?: boolean }) => {
      const built = filterFromOptions(opts.where, opts.filter);
      if ('problems' in built) {
        for (const p of built.problems) err(p);
        process.exitCode = 2;
        return Promise.resolve();
      }
      return withAudience(async (_store, index, config) => {
        const at = Date.now();
        const partitions = Array.from({ length: config.INBOX_PARTITIONS }, (_, p) => p);
        const tty = process.stderr.isTTY && !opts.json;
        const counted = await audienceCount(index, partitions, built.filter, at, {
          onPartition: (done, total) => tty && process.stderr.write(`\rcounting… ${done}/${total} partitions`),
        });
        if (tty) process.stderr.write('\r\x1b[K');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ...counted, at, filter: built.filter })}\n`);
          return;
        }
        const n = (x: number) => x.toLocaleString('en');
        process.stdout.write(
          `${n(counted.count)} users match (of ${n(counted.scanned)} in the index, ${partitions.length} partitions)\n  where ${describe(opts.where, opts.filter)}\n`,
        );
        if (counted.unreadable > 0) err(`${n(counted.unreadable)} cards could not be read and were left out`);
      });
    });

  audience
    .command('reindex')
    .description('write the audience cards of users stored before the index existed (safe beside running workers)')
    .option('--json', 'print one JSON object instead of the summary')
    .action((opts: { json?: boolean }) =>
      withAudience(async (store, index, config) => {
        const days = config.INACTIVE_USER_RETENTION_DAYS;
        const tty = process.stderr.isTTY && !opts.json;
        const outcome = await reindexAudience(store.states, index, {
          now: Date.now,
          ...(days === undefined ? {} : { expireAt: (state, now) => expiryOf(state, now, days) }),
          onProgress: (seen) => tty && process.stderr.write(`\rreindexing… ${seen} users`),
        });
        if (tty) process.stderr.write('\r\x1b[K');
        if (opts.json) return void process.stdout.write(`${JSON.stringify(outcome)}\n`);
        process.stdout.write(
          `${outcome.written} cards written; ${outcome.moved} users changed meanwhile (their own commits keep their cards); ${outcome.unreadable} unreadable states\n`,
        );
      }),
    );
}
