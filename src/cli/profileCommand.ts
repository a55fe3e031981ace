import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadFlows } from '../flows/loadFlows';
import { formatProblem } from '../flows/problem';
import { createGraphClient, graphClientOptions } from '../messenger/graphClient';
import { formatProfileProblem, MESSENGER_PROFILE_FILE, readProfileFile, unresolvedPayloads } from '../flows/profileFile';
import { formatDiff, ProfileSyncError, syncMessengerProfile } from '../messenger/profileSync';
import type { CliPage } from './pageSelection';

export interface ProfileCommandDeps {
  /** The Page `--page` names (default the environment's); called when the command runs. */
  readonly page: () => CliPage;
  /** Every Page of the deployment, for --all-pages. */
  readonly everyPage: () => readonly CliPage[];
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
}

interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}
interface SyncOptions {
  readonly dryRun?: boolean;
  readonly prune?: boolean;
}
/** 0 done (or nothing to do), 2 file refused (nothing sent), 1 Graph refused a call. */
type Outcome = 0 | 1 | 2;

/** Checks the file against the Page's flows, then posts what differs with the Page's own token and app secret. */
async function syncPage(page: CliPage, file: string, opts: SyncOptions, io: Io): Promise<Outcome> {
  const cfg = page.config;
  const parsed = readProfileFile(file, file);
  if (!parsed.ok) {
    for (const p of parsed.problems) io.err(formatProfileProblem(p));
    io.err(`${file}: refused, nothing sent`);
    return 2;
  }
  // Every payload must do something in the flows the Page runs (with its own settings file, if any).
  const flows = loadFlows(cfg.FLOWS_DIR, page.settingsFile === undefined ? {} : { settingsFile: page.settingsFile });
  if (!flows.ok) {
    for (const p of flows.problems) io.err(formatProblem(p));
    io.err(`${file}: cannot check its payloads: the flows in ${cfg.FLOWS_DIR} do not load; nothing sent`);
    return 2;
  }
  const dead = unresolvedPayloads(parsed.profile, flows.flowSet);
  if (dead.length > 0) {
    for (const d of dead)
      io.err(
        `error: ${file}: ${d.path}: payload "${d.payload}" leads nowhere in ${cfg.FLOWS_DIR} (not GET_STARTED, a hand-written payload, a postback trigger or an existing control)`,
      );
    io.err(`${file}: refused, nothing sent`);
    return 2;
  }

  const client = createGraphClient(graphClientOptions(cfg));
  try {
    const result = await syncMessengerProfile(client, parsed.profile, { dryRun: opts.dryRun, prune: opts.prune });
    const lines = formatDiff(result.diff);
    for (const line of lines) io.out(line);
    if (lines.length === 0) io.out('no changes: the Page already has this profile');
    if (opts.dryRun) io.out(`dry run: ${lines.length} field(s) would change; ${result.calls} call (GET) made`);
    else {
      const did = [
        result.posted.length > 0 && `posted ${result.posted.join(', ')}`,
        result.deleted.length > 0 && `deleted ${result.deleted.join(', ')}`,
      ].filter(Boolean);
      io.out(
        `${did.length > 0 ? `${did.join('; ')}; ` : ''}${result.calls} Messenger Profile call(s) (limit: 10 per 10 minutes per Page)`,
      );
    }
    return 0;
  } catch (e) {
    if (!(e instanceof ProfileSyncError)) throw e;
    io.err(`talkshop profile sync: ${e.message}`);
    return 1;
  } finally {
    client.close();
  }
}

/**
 * Every Page in turn, each from its own flows folder's profile file with its own token; each line
 * names its Page. A Page whose folder has no profile file is skipped. The exit code is the worst
 * Page's: 1 if Graph refused any call, else 2 if any file was refused, else 0.
 */
async function syncEveryPage(pages: readonly CliPage[], opts: SyncOptions, io: Io): Promise<Outcome> {
  const outcomes: Array<Outcome | 'skipped'> = [];
  for (const page of pages) {
    const tagged: Io = { out: (l) => io.out(`Page ${page.id}: ${l}`), err: (l) => io.err(`Page ${page.id}: ${l}`) };
    const file = join(page.config.FLOWS_DIR, MESSENGER_PROFILE_FILE);
    if (!existsSync(file)) {
      tagged.out(`skipped: no ${MESSENGER_PROFILE_FILE} in ${page.config.FLOWS_DIR}`);
      outcomes.push('skipped');
      continue;
    }
    outcomes.push(await syncPage(page, file, opts, tagged));
  }
  const count = (o: Outcome | 'skipped') => outcomes.filter((x) => x === o).length;
  io.out(
    `${pages.length} Page(s): ${count(0)} synced, ${count('skipped')} skipped (no profile file), ${count(2)} refused (nothing sent), ${count(1)} failed at the Graph API`,
  );
  return count(1) > 0 ? 1 : count(2) > 0 ? 2 : 0;
}

/**
 * `talkshop profile sync [file]`: validate the Messenger Profile file, then post only what differs
 * from what the Page holds. `--page <id>` syncs another Page of PAGES_FILE (its flows folder's file,
 * its token); `--all-pages` every Page. Exit codes: 0 done (or nothing to do), 2 file refused
 * (nothing sent), 1 Graph refused a call (613 = the 10-calls-per-10-minutes limit; never retried).
 */
export function addProfileCommand(program: Command, deps: ProfileCommandDeps): void {
  const io: Io = {
    out: deps.out ?? ((line) => void process.stdout.write(`${line}\n`)),
    err: deps.err ?? ((line) => void process.stderr.write(`${line}\n`)),
  };
  const profile = program
    .command('profile')
    .description("manage the Page's Messenger Profile (Get Started, greeting, ice breakers, menu)");
  profile
    .command('sync')
    .argument('[file]', `profile file (default: ${MESSENGER_PROFILE_FILE} in the Page's flows folder, FLOWS_DIR)`)
    .option('--dry-run', 'print the difference (+ added, ~ changed, - removed); sends nothing but the GET')
    .option('--prune', 'also DELETE fields that the Page has and the file does not set')
    .option('--all-pages', "sync every Page of PAGES_FILE, each from its own flows folder's profile file, with its own token")
    .description('validate the profile file and post only the fields that differ (at most 3 calls per Page: GET, POST, DELETE)')
    .action(async (fileArg: string | undefined, opts: SyncOptions & { allPages?: boolean }) => {
      if (opts.allPages) {
        if (fileArg !== undefined) {
          io.err(`talkshop profile sync: --all-pages reads each Page's own ${MESSENGER_PROFILE_FILE}; give no file`);
          process.exitCode = 2;
          return;
        }
        process.exitCode = await syncEveryPage(deps.everyPage(), opts, io);
        return;
      }
      const page = deps.page();
      process.exitCode = await syncPage(page, fileArg ?? join(page.config.FLOWS_DIR, MESSENGER_PROFILE_FILE), opts, io);
    });
}
