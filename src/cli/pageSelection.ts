import type { Config } from '../config/config';
import { pageFromEnv, type PageConfig, type PagesConfig } from '../config/pagesConfig';
import { configOfPage } from '../pagesService';

/**
 * Which Page a command works on (`--page <id>`, issue #18 item 2; docs/pages.md "Operating each
 * Page"): that Page's Config as `talkshop serve` runs it (key prefix, token, app secret, flows,
 * send rates; pagesService.ts configOfPage), and its settings file.
 */
export interface CliPage {
  readonly id: string;
  readonly config: Config;
  /** A settings file in place of the flows folder's (PAGES_FILE `settings`); undefined = the folder's. */
  readonly settingsFile: string | undefined;
}

export type PageChoice = { readonly ok: true; readonly page: CliPage } | { readonly ok: false; readonly message: string };

/** How many configured Page ids a refusal lists (a deployment may have 1,000). */
export const PAGES_LISTED = 20;

function cliPage(config: Config, pages: PagesConfig, page: PageConfig): CliPage {
  // Without PAGES_FILE the environment's Page is the configuration exactly as before.
  if (pages.source === 'env') return { id: page.id, config, settingsFile: undefined };
  return { id: page.id, config: configOfPage(config, page, config.ROLE), settingsFile: page.settingsFile };
}

/** The environment's Page as serve runs it: as PAGES_FILE lists it, if it does. */
const homeOf = (config: Config, pages: PagesConfig): PageConfig => pages.page(config.MESSENGER_PAGE_ID) ?? pageFromEnv(config);

/** A Page id typed on the command line, safe to print (control characters and the like replaced). */
const shown = (id: string): string => (id.length > 40 ? `${id.slice(0, 40)}…` : id).replace(/[^\w.-]/g, '?');

function unknownPage(id: string, config: Config, pages: PagesConfig): string {
  const ids = [homeOf(config, pages).id, ...pages.pages.map((p) => p.id).filter((p) => p !== config.MESSENGER_PAGE_ID)];
  const listed =
    ids.slice(0, PAGES_LISTED).join(', ') + (ids.length > PAGES_LISTED ? ` … and ${ids.length - PAGES_LISTED} more` : '');
  const where =
    pages.source === 'env'
      ? `PAGES_FILE is not set, so the only Page is MESSENGER_PAGE_ID ${listed}`
      : `the configured Pages are ${listed}`;
  return `Page ${shown(id)} is not served by this deployment: ${where}. To serve another Page, list it in PAGES_FILE (docs/pages.md).`;
}

/** The Page `--page` names; without it, the environment's Page (MESSENGER_PAGE_ID). */
export function choosePage(config: Config, pages: PagesConfig, requested: string | undefined): PageChoice {
  const id = requested ?? config.MESSENGER_PAGE_ID;
  const page = id === config.MESSENGER_PAGE_ID ? homeOf(config, pages) : pages.page(id);
  return page ? { ok: true, page: cliPage(config, pages, page) } : { ok: false, message: unknownPage(id, config, pages) };
}

/** Every Page of the deployment, the environment's first, then PAGES_FILE's in its order. */
export function everyPage(config: Config, pages: PagesConfig): CliPage[] {
  const others = pages.pages.filter((p) => p.id !== config.MESSENGER_PAGE_ID);
  return [homeOf(config, pages), ...others].map((p) => cliPage(config, pages, p));
}
