/**
 * `npm run bench:demo-page`: issue #13's "the first bot message is on screen within 2 s of
 * pressing Get Started", measured as a user sees it. The built demo runs as a child process
 * (`talkshop demo`, in-memory store, real time), Debian's Chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium) opens the URL its banner prints, and BENCH_DEMO_CUSTOMERS customers (default
 * 20) are added one after another; for each, the time from the Get Started click to the bot's
 * first bubble in that customer's thread. The path measured is the whole one: the page's POST, the
 * demo signing and posting the webhook, the inbox, the engine, the outbox, the fake Graph API, the
 * server-sent event and the page drawing it.
 *
 * Prints one JSON line on stdout (ms: page load to "Connected", then min/p50/p90/max over the
 * customers, and every run); progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const CUSTOMERS = Number(process.env.BENCH_DEMO_CUSTOMERS ?? 20);
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WAIT = { timeout: 60_000 };

/** The repo root from here, whether run from bench/ or dist/bench/. */
function repoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const round = (ms: number) => Math.round(ms * 10) / 10;

async function main(): Promise<void> {
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
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    const page = await browser.newPage();
    const loadStart = performance.now();
    await page.goto(pageUrl);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
    const pageLoadMs = performance.now() - loadStart;
    const runs: number[] = [];
    for (let n = 1; n <= CUSTOMERS; n++) {
      if (n > 1) await page.getByRole('button', { name: 'Add a customer' }).click();
      const panel = page.getByRole('region', { name: `Customer ${n}`, exact: true });
      const start = panel.getByRole('button', { name: 'Get Started' });
      await start.waitFor(WAIT);
      const t0 = performance.now();
      await start.click();
      await panel.getByRole('log').locator('.bubble.bot').first().waitFor(WAIT);
      runs.push(performance.now() - t0);
      process.stderr.write(`customer ${n}: ${round(runs[runs.length - 1]!)} ms\n`);
    }
    const sorted = [...runs].sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'demo_page',
        customers: CUSTOMERS,
        page_load_to_connected_ms: round(pageLoadMs),
        get_started_to_first_bot_message_ms: {
          min: round(sorted[0] ?? NaN),
          p50: round(percentile(sorted, 50)),
          p90: round(percentile(sorted, 90)),
          max: round(sorted[sorted.length - 1] ?? NaN),
          runs: runs.map(round),
        },
        cpus: cpus().length,
        loadavg_1m: Number(loadavg()[0]?.toFixed(2)),
      })}\n`,
    );
  } finally {
    await browser.close();
    demo.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:demo-page: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
