/**
 * The built demo run as a child process as a user runs it (a temporary directory with the repo's
 * flows, a free DEMO_SHOP_PORT), and Debian's Chromium, headless, driven by playwright-core, with a
 * page recording every request it makes and every error it throws: the start of every tests/web test.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DEMO_SHOP_PORT_ENV } from '../../src/cli/demoShop';
import { freePort } from './freePort';
import { demoReady, runCli, stopRun, type CliRun } from './spawnDemo';
import { waitFor } from './webhookClient';

const ROOT = join(__dirname, '..', '..');
/** Debian's chromium package (.ci/run installs it when missing); CHROMIUM_PATH names another. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where screenshots go: dist/test-artifacts/ unless TEST_ARTIFACTS_DIR moves them. */
export const ARTIFACTS = process.env.TEST_ARTIFACTS_DIR ?? join(ROOT, 'dist', 'test-artifacts');
/** Generous: a wait ends the moment its condition holds; a loaded machine only makes it slower. */
export const WAIT = { timeout: 60_000 };

export interface DemoPageOptions {
  /** Names the temporary directory the demo runs in (talkshop-<name>-...). */
  readonly name: string;
  readonly viewport: { width: number; height: number };
  /** More arguments for `talkshop demo`, given the directory it runs in (e.g. `--redis` and a private Redis's URL). */
  readonly demoArgs?: (cwd: string) => Promise<readonly string[]>;
}

export interface DemoPage {
  readonly demo: CliRun;
  readonly browser: Browser;
  readonly page: Page;
  /** The URL a user would open: the one the banner prints. */
  readonly pageUrl: string;
  /** Every URL the page asked for, in order. */
  readonly requests: string[];
  /** The message of every error the page threw. */
  readonly pageErrors: string[];
  readonly cwd: string;
  /** Closes the browser, stops the demo, removes its directory. */
  close(): Promise<void>;
}

/** Starts the demo and opens a browser page (not yet at the demo's URL); a failed start cleans up what it started. */
export async function openDemoPage(options: DemoPageOptions): Promise<DemoPage> {
  const cwd = mkdtempSync(join(tmpdir(), `talkshop-${options.name}-`));
  let demo: CliRun | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    if (demo) await stopRun(demo);
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    symlinkSync(join(ROOT, 'flows'), join(cwd, 'flows'));
    mkdirSync(ARTIFACTS, { recursive: true });
    const args = (await options.demoArgs?.(cwd)) ?? [];
    demo = runCli(
      ['demo', ...args],
      { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', [DEMO_SHOP_PORT_ENV]: String(await freePort()) },
      cwd,
    );
    await demoReady(demo);
    const run = demo;
    const line = await waitFor('the page line of the banner', () => run.lines.find((l) => l.startsWith('  page      ')));
    const pageUrl = /(http:\/\/127\.0\.0\.1:\d+\/demo\/)/.exec(line)?.[1];
    if (!pageUrl) throw new Error(`no page URL in the banner's line: ${line}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const page = await browser.newPage({ viewport: options.viewport });
    const requests: string[] = [];
    const pageErrors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    return { demo, browser, page, pageUrl, requests, pageErrors, cwd, close };
  } catch (err) {
    await close();
    throw err;
  }
}
