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
import { performance } from 'node:perf_hooks';
import type { Locator } from 'playwright-core';
import { WAIT, round, runDemoBench, summary } from './demoBench';

const CUSTOMERS = Number(process.env.BENCH_INBOX_CUSTOMERS ?? 10);

async function timed(act: () => Promise<void>, seen: Locator): Promise<number> {
  const t0 = performance.now();
  await act();
  await seen.waitFor(WAIT);
  return performance.now() - t0;
}

runDemoBench('bench:demo-inbox', async ({ browser, pageUrl }) => {
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
  return {
    bench: 'demo_inbox',
    customers: CUSTOMERS,
    talk_to_a_person_to_listed_ms: summary(listed),
    agent_send_to_customer_sees_ms: summary(replied),
    done_to_welcome_back_ms: summary(handedBack),
    page_reads_per_customer: { ...summary(readsPerCustomer), runs: readsPerCustomer },
  };
});
