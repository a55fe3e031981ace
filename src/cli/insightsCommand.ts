import type { Command } from 'commander';
import pino from 'pino';
import type { Config } from '../config/config';
import type { Logger } from '../logger';
import { UNMATCHED_RETENTION_DAYS, type Store } from '../store/ports';
import { unmatchedReport, type UnmatchedReport } from '../store/unmatchedCounts';

export interface InsightsCommandDeps {
  readonly config: () => Config;
  /** The store of the running service (server.ts openStoreFromConfig); closed by the command. */
  readonly openStore: (config: Config, logger: Logger) => Promise<Store>;
  readonly now?: () => number;
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
}

/** Most texts one listing shows. */
export const INSIGHTS_LIMIT_MAX = 1000;

/** stdout carries the answer; the log goes to stderr, warnings only. */
const stderrLogger = (): Logger => pino({ level: 'warn', base: { service: 'talkshop' } }, pino.destination(2));

const wholeIn = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  return /^\d+$/.test(value) && n >= min && n <= max ? n : undefined;
};

/** The listing for people: one line per text, most counted first. */
export function formatUnmatched(report: UnmatchedReport): string {
  const head = `Texts the bot did not understand, last ${report.days} day${report.days === 1 ? '' : 's'} (${report.from} to ${report.to}, UTC)`;
  if (report.texts.length === 0) return `${head}: none.\n`;
  // A customer's text never drives the terminal: control characters (escape sequences) are shown as '?'.
  const rows = report.texts.map((t) => [
    String(t.count),
    String(t.fallback),
    String(t.suggested),
    t.lastDay,
    t.text.replace(/\p{Cc}/gu, '?'),
  ]);
  const header = ['count', 'fallback', 'did you mean', 'last seen', 'text'];
  const widths = header.slice(0, 4).map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) =>
    `  ${cells
      .slice(0, 4)
      .map((c, i) => (i < 3 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')}  ${cells[4]}`;
  return `${head}, most frequent first:\n${[header, ...rows].map(line).join('\n')}\n`;
}

/**
 * `talkshop insights unmatched [--days N] [--limit N] [--json]`: what customers wrote that the bot
 * did not understand (its fallback answered, or it offered "Did you mean…"), counted per
 * normalised text in the running service's Redis, so a marketer knows which question to add next.
 * Exit codes: 0 listed, 1 the store failed, 2 refused (bad options, or no Redis to read).
 */
export function addInsightsCommand(program: Command, deps: InsightsCommandDeps): void {
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const err = deps.err ?? ((t: string) => void process.stderr.write(t));
  const fail = (message: string): void => {
    err(`talkshop insights: ${message}\n`);
    process.exitCode = 2;
  };
  const insights = program.command('insights').description('what customers ask: the texts the bot did not understand');
  insights
    .command('unmatched')
    .description('list the texts the bot did not understand, most frequent first, with counts per outcome')
    .option('--days <n>', `the last n UTC days, today included (1 to ${UNMATCHED_RETENTION_DAYS})`, '7')
    .option('--limit <n>', `most texts listed (1 to ${INSIGHTS_LIMIT_MAX})`, '20')
    .option('--json', 'print one JSON object instead of the listing')
    .action(async (opts: { days: string; limit: string; json?: boolean }) => {
      const days = wholeIn(1, UNMATCHED_RETENTION_DAYS)(opts.days);
      const limit = wholeIn(1, INSIGHTS_LIMIT_MAX)(opts.limit);
      if (days === undefined)
        return fail(`--days expects a whole number from 1 to ${UNMATCHED_RETENTION_DAYS} (counts are kept that long)`);
      if (limit === undefined) return fail(`--limit expects a whole number from 1 to ${INSIGHTS_LIMIT_MAX}`);
      const config = deps.config();
      if (!config.REDIS_URL)
        return fail(
          'REDIS_URL is not set: the in-memory store lives inside the running service; use its admin API (GET /admin/insights/unmatched)',
        );
      const store = await deps.openStore(config, stderrLogger());
      try {
        if (!store.unmatched) return fail('this store keeps no counts of unmatched texts');
        const report = await unmatchedReport(store.unmatched, (deps.now ?? Date.now)(), days, limit);
        out(opts.json ? `${JSON.stringify(report)}\n` : formatUnmatched(report));
      } finally {
        await store.close();
      }
    });
}
