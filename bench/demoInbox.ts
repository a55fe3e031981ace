/**
 * `npm run bench:demo-inbox`: the demo page's Page Inbox as a user sees it (issue #13). The built
 * demo runs as a child process (`talkshop demo`, in-memory store, real time), Debian's Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium) opens its page, and BENCH_INBOX_CUSTOMERS customers
 * (default 10) one after another press Get Started and tap "Talk to a person"; for each, the time
 * from the tap to their thread listed in the agent's inbox (handover, the stream's state nudge,
 * the panel's re-read), from the agent's Send to the reply in the customer's thread (signed echo,
 * stream), and from Done to the bot's welcome-back there (pass_thread_control, engine, fake Graph
 * API, stream). Also counted: the page's reads of the admin API and the clock per customer, which
 * only the stream's nudges cause (the panel never polls).
 *
 * Prints one JSON line on stdout; progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { chromium, type Locator } from 'playwright-core';

const CUSTOMERS = Number(process.env.BENCH_INBOX_CUSTOMERS ?? 10);
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
const summary = (runs: readonly number[]) => {
  const sorted = [...runs].sort((a, b) => a - b);
  return {
    min: round(sorted[0] ?? NaN),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
};

async function timed(act: () => Promise<void>, seen: Locator): Promise<number> {
  const t0 = performance.now();
  await act();
  await seen.waitFor(WAIT);
  return performance.now() - t0;
}

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
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    let reads = 0;
    page.on('request', (r) => {
      if (/\/demo\/(api\/admin\/|clock$)/.test(r.url()) && r.method() === 'GET') reads += 1;
    });
    await page.goto(pageUrl);
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
    const inbox = page.getByRole('region', { name: 'Page Inbox (agent)' });
    const listed: number[] = [];
    const replied: number[] = [];
    const handedBack: number[] = [];
    const readsPerCustomer: number[] = [];
    for (let n = 1; n <= CUSTOMERS; n++) {
      if (n > 1) await page.getByRole('button', { name: 'Add a customer' }).click();
      const readsBefore = reads;
      const panel = page.getByRole('region', { name: `Customer ${n}`, exact: true });
      const log = panel.getByRole('log');
      await panel.getByRole('button', { name: 'Get Started' }).click();
      const ask = panel
        .getByRole('group', { name: 'Quick replies' })
        .getByRole('button', { name: 'Talk to a person', exact: true });
      await ask.waitFor(WAIT);
      const thread = inbox
        .getByRole('list', { name: 'Threads handed to a person' })
        .getByRole('button', { name: new RegExp(`^Customer ${n}: with a person`) });
      listed.push(await timed(() => ask.click(), thread));
      await thread.click();
      const open = inbox.getByRole('region', { name: `Customer ${n}`, exact: true });
      const text = `Agent reply ${n}`;
      const reply = open.getByLabel('Reply as the agent');
      await reply.fill(text);
      replied.push(await timed(() => reply.press('Enter'), log.locator('.bubble.inbox', { hasText: text })));
      handedBack.push(
        await timed(
          () => open.getByRole('button', { name: 'Done: hand back to the bot' }).click(),
          log.locator('.bubble.bot', { hasText: 'automated assistant now' }),
        ),
      );
      await thread.waitFor({ state: 'detached', ...WAIT });
      readsPerCustomer.push(reads - readsBefore);
      process.stderr.write(
        `customer ${n}: listed ${round(listed[n - 1]!)} ms, reply ${round(replied[n - 1]!)} ms, done ${round(handedBack[n - 1]!)} ms, ${readsPerCustomer[n - 1]} reads\n`,
      );
    }
    process.stdout.write(
      `${JSON.stringify({
        bench: 'demo_inbox',
        customers: CUSTOMERS,
        talk_to_a_person_to_listed_ms: summary(listed),
        agent_send_to_customer_sees_ms: summary(replied),
        done_to_welcome_back_ms: summary(handedBack),
        page_reads_per_customer: { ...summary(readsPerCustomer), runs: readsPerCustomer },
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
  process.stderr.write(`bench:demo-inbox: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
