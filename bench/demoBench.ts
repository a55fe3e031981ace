/**
 * The start both demo page benches share (bench:demo-page, bench:demo-inbox): the built demo run
 * as a child process (`talkshop demo`, in-memory store, real time) at the URL its banner prints,
 * and Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium), headless; how their timings
 * are summed up, and how their one JSON line is printed.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../tests/support/freePort';
import { repoRoot } from '../tests/support/spawnService';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Generous: a wait ends the moment its condition holds. */
export const WAIT = { timeout: 60_000 };

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
/** Milliseconds to one decimal. */
export const round = (ms: number) => Math.round(ms * 10) / 10;
/** min/p50/p90/max of some timings, in ms to one decimal. */
export const summary = (runs: readonly number[]) => {
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    min: round(sorted[0] ?? NaN),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
};

export interface DemoBrowser {
  readonly browser: Browser;
  /** The URL the demo's banner prints. */
  readonly pageUrl: string;
  /** Closes the browser and stops the demo. */
  close(): Promise<void>;
}

/** Starts the built demo, waits for its banner's page URL, and launches the browser. */
export async function startDemoBrowser(): Promise<DemoBrowser> {
  const root = repoRoot(__dirname);
  const demo = spawn(process.execPath, [join(root, 'dist', 'src', 'cli', 'main.js'), 'demo'], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', DEMO_SHOP_PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pageUrl = await new Promise<string>((resolve, reject) => {
    demo.once('exit', (code) => reject(new Error(`the demo exited with ${code} before printing its page`)));
    createInterface({ input: demo.stdout }).on('line', (line) => {
      const url = /^ {2}page {6}(http:\/\/\S+)/.exec(line)?.[1];
      if (url) resolve(url);
    });
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true }).catch((err: unknown) => {
    demo.kill('SIGTERM');
    throw err;
  });
  return {
    browser,
    pageUrl,
    close: async () => {
      await browser.close();
      demo.kill('SIGTERM');
    },
  };
}

/**
 * Runs a bench on the demo and the browser: prints what it returns as one JSON line on stdout, with
 * the machine's CPU count and load; closes both whatever happens; on an error says so on stderr
 * (`script`: the npm script's name) and exits 1.
 */
export function runDemoBench(script: string, bench: (demo: DemoBrowser) => Promise<Record<string, unknown>>): void {
  const run = async (): Promise<void> => {
    const demo = await startDemoBrowser();
    try {
      const result = await bench(demo);
      process.stdout.write(
        `${JSON.stringify({ ...result, cpus: cpus().length, loadavg_1m: Number(loadavg()[0]?.toFixed(2)) })}\n`,
      );
    } finally {
      await demo.close();
    }
  };
  run().catch((err: unknown) => {
    process.stderr.write(`${script}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
