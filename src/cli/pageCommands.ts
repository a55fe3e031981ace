import type { Command } from 'commander';
import type { Config } from '../config/config';
import { loadPagesConfig, type PagesConfig } from '../config/pagesConfig';
import { ConfigError } from '../errors';
import type { Logger } from '../logger';
import type { Store } from '../store/ports';
import { addAudienceCommand } from './audienceCommand';
import { addBroadcastCommand } from './broadcastCommand';
import { addInsightsCommand } from './insightsCommand';
import { choosePage, everyPage, type CliPage } from './pageSelection';
import { addProfileCommand, type ProfileCommandDeps } from './profileCommand';
import { addSequenceCommand } from './sequenceCommands';
import { addUsersCommand } from './usersCommand';

export interface PageCommandsDeps {
  /** The deployment's configuration (main.ts: the environment and .env; it exits 2 when invalid). */
  readonly config: () => Config;
  /** Where PAGES_FILE's token_env and secret_env are looked up (process.env). */
  readonly env: () => Record<string, string | undefined>;
  /** The store of the running service (server.ts openStoreFromConfig); closed by the command. */
  readonly openStore: (config: Config, logger: Logger) => Promise<Store>;
  /** Prints why and ends with exit code 2 (main.ts); tests throw instead. */
  readonly refuse: (message: string) => never;
  /** The profile command's output (tests). */
  readonly profileIo?: Pick<ProfileCommandDeps, 'out' | 'err'>;
}

/** The commands that work on one Page's data, and so take `--page`. */
const STORE_COMMANDS = new Set(['users', 'audience', 'sequence', 'insights', 'broadcast', 'profile']);
/** Subcommands of those that read only files: a Page means nothing to them. */
const FILE_ONLY = new Set(['broadcast check', 'broadcast schema']);

/** The command line's words from the program down to the command that runs, e.g. "broadcast check". */
function pathOf(program: Command, action: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = action; c && c !== program; c = c.parent) names.unshift(c.name());
  return names;
}

/**
 * The commands that open one Page's store or talk to its Graph API (broadcast, users, audience,
 * sequence, insights, profile sync), with the global `--page <id>` (issue #18 item 2; docs/pages.md
 * "Operating each Page"): it reads PAGES_FILE and runs the command on that Page's configuration
 * (key prefix, token, app secret, flows and settings); by default, the environment's Page, exactly
 * as without PAGES_FILE. An unknown Page ends with exit code 2, listing the configured ones.
 */
export function addPageCommands(program: Command, deps: PageCommandsDeps): void {
  program.option(
    '--page <id>',
    'the Page a store or profile command works on: a Page id of PAGES_FILE (default MESSENGER_PAGE_ID)',
  );
  const requested = () => program.opts<{ page?: string }>().page;
  program.hook('preAction', (_program, action) => {
    const path = pathOf(program, action);
    if (requested() === undefined) return;
    if (!STORE_COMMANDS.has(path[0] ?? '') || FILE_ONLY.has(path.join(' ')))
      deps.refuse(`--page applies to: ${[...STORE_COMMANDS].join(', ')} (not to ${path.join(' ')})`);
    if (action.opts<{ allPages?: boolean }>().allPages) deps.refuse('give --page or --all-pages, not both');
  });

  // Read once, when a command first needs it: a CLI run is one command.
  let pages: PagesConfig | undefined;
  const pagesConfig = (): PagesConfig => {
    if (pages) return pages;
    try {
      // Without the flows' lint: a store command needs only the Pages' identities and prefixes.
      return (pages = loadPagesConfig(deps.config(), deps.env()));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return deps.refuse(`${err.message}\nSee docs/pages.md for PAGES_FILE.`);
    }
  };
  let chosen: CliPage | undefined;
  const page = (): CliPage => {
    if (chosen) return chosen;
    const choice = choosePage(deps.config(), pagesConfig(), requested());
    return (chosen = choice.ok ? choice.page : deps.refuse(choice.message));
  };

  const store = { config: () => page().config, settingsFile: () => page().settingsFile, openStore: deps.openStore };
  addBroadcastCommand(program, store);
  addProfileCommand(program, { page, everyPage: () => everyPage(deps.config(), pagesConfig()), ...deps.profileIo });
  addUsersCommand(program, store);
  addAudienceCommand(program, store);
  addSequenceCommand(program, store);
  addInsightsCommand(program, store);
}
