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
import { performance } from 'node:perf_hooks';
import { WAIT, round, runDemoBench, summary } from './demoBench';

const CUSTOMERS = Number(process.env.BENCH_DEMO_CUSTOMERS ?? 20);

runDemoBench('bench:demo-page', async ({ browser, pageUrl }) => {
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
  return {
    bench: 'demo_page',
    customers: CUSTOMERS,
    page_load_to_connected_ms: round(pageLoadMs),
    get_started_to_first_bot_message_ms: { ...summary(runs), runs: runs.map(round) },
  };
});
