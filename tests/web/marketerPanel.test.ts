/**
 * The demo page's marketer panel in a real browser (issue #13): Debian's Chromium, headless,
 * driven by playwright-core, on the built demo run as a child process as a user runs it. Two
 * customers talk to the bot (one takes the 10% code and the running tips, one only says hello);
 * the marketer counts the subscribers with a filter preset, sends a broadcast to everyone inside
 * their window and watches its counts reach done (one sent, one skipped for want of consent, then
 * delivered), while the subscriber's thread shows the message. Then the marketer starts the
 * running tips for the customer who never subscribed (skipped: no_consent), and, after the other
 * customer stops and re-subscribes to tips in the chat, for them: tip 1 arrives, the panel says
 * when tip 2 is due, and "+1 hour" moves the demo's clock past it until tip 2 arrives; "+1 day"
 * with the keyboard, and "Jump to weekly-1", which is skipped (no Marketing Messages token). Screenshots
 * go to dist/test-artifacts/ (TEST_ARTIFACTS_DIR moves them). Every wait is on a condition.
 */
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ARTIFACTS, WAIT, openDemoPage, type DemoPage } from '../support/demoBrowser';
import { waitFor } from '../support/webhookClient';

const HOUR = 3_600_000;

let opened: DemoPage;
let page: Page;
let requests: string[];
let pageErrors: string[];

beforeAll(async () => {
  opened = await openDemoPage({ name: 'marketer-page', viewport: { width: 1280, height: 1000 } });
  ({ page, requests, pageErrors } = opened);
  await page.goto(opened.pageUrl);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
});
afterAll(() => opened?.close());

const customer = (n: number): Locator => page.getByRole('region', { name: `Customer ${n}`, exact: true });
const botSaid = (n: number, text: string): Locator => customer(n).getByRole('log').locator('.bubble.bot', { hasText: text });
const quickReply = (n: number, title: string): Locator =>
  customer(n).getByRole('group', { name: 'Quick replies' }).getByRole('button', { name: title, exact: true });
const say = async (n: number, text: string) => {
  const box = customer(n).getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
};
const marketer = (): Locator => page.getByRole('region', { name: 'Marketer', exact: true });
const part = (name: string): Locator => marketer().getByRole('region', { name, exact: true });

it('counts the subscribers, sends a broadcast and watches its counts reach done; the subscriber receives it', async () => {
  // Customer 1 takes the 10% code (an invalid email first) and the running tips; customer 2 only says hello.
  await customer(1).getByRole('button', { name: 'Get Started' }).click();
  await quickReply(1, 'Get 10% off').click();
  await botSaid(1, "What's your email?").waitFor(WAIT);
  await say(1, 'not-an-email');
  await botSaid(1, "doesn't look like an email").waitFor(WAIT);
  await say(1, 'runner@example.com');
  await botSaid(1, 'Your code is WELCOME10').waitFor(WAIT);
  await quickReply(1, 'Yes, sign me up').click();
  await botSaid(1, 'Tip 1:').waitFor(WAIT);
  await page.getByRole('button', { name: 'Add a customer' }).click();
  await customer(2).getByRole('button', { name: 'Get Started' }).click();
  await botSaid(2, 'Welcome to Northwind Outfitters').waitFor(WAIT);

  // Audience: a preset fills the filter and counts.
  const audience = part('Audience');
  await audience.getByRole('button', { name: 'Subscribed to offers' }).click();
  await audience.getByRole('status').filter({ hasText: '1 customer matches' }).waitFor(WAIT);
  await audience.getByRole('button', { name: 'Window open' }).click();
  await audience.getByRole('status').filter({ hasText: '2 customers match' }).waitFor(WAIT);
  // A clause the filter language does not know is refused with the accepted forms.
  await audience.getByLabel(/^Audience filter/).fill('color=blue');
  await audience.getByRole('button', { name: 'Count', exact: true }).click();
  await audience.getByRole('status').filter({ hasText: 'Not counted:' }).waitFor(WAIT);

  // A broadcast whose audience does not parse is refused, with the problem, and nothing is sent.
  const broadcast = part('Broadcast');
  await audience.getByLabel(/^Audience filter/).fill('color=blue');
  await broadcast.getByRole('button', { name: 'Send broadcast' }).click();
  await broadcast
    .getByRole('alert')
    .filter({ hasText: /^Not sent: The definition has 1 error/ })
    .waitFor(WAIT);

  // Broadcast to the two inside their window, for topic offers: one subscribed, one not.
  await audience.getByRole('button', { name: 'Window open' }).click();
  await audience.getByRole('status').filter({ hasText: '2 customers match' }).waitFor(WAIT);
  await broadcast.getByLabel(/^Message \(/).fill('Flash sale for {{first_name}}: 15% off trail shoes today.');
  await broadcast.getByLabel('Consent topic').selectOption('offers');
  await broadcast.getByRole('button', { name: 'Send broadcast' }).click();
  await broadcast.getByRole('status').filter({ hasText: 'Done: 1 sent, 1 skipped, 0 failed.' }).waitFor(WAIT);
  const counts = broadcast.getByRole('list', { name: 'Broadcast counts' });
  for (const item of ['Targeted 2', 'Sent 1', 'Skipped: no_consent 1 (not subscribed to the topic)'])
    await counts.getByText(item, { exact: true }).waitFor(WAIT);
  // Delivery receipts come from the fake Graph API a moment after the send.
  await counts.getByText('Delivered 1', { exact: true }).waitFor(WAIT);
  await botSaid(1, 'Flash sale for Sam: 15% off trail shoes today.').waitFor(WAIT);
  expect(await botSaid(2, 'Flash sale').count()).toBe(0);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-page-marketer-broadcast.png'), fullPage: true });
});

it('starts a sequence for a customer, moves the clock forward and sees the next step arrive', async () => {
  const seq = part('Drip sequence and the demo clock');
  const state = seq.getByRole('status').filter({ hasText: /^Customer \d/ });

  // Customer 2 never subscribed to tips: the panel says so, and a start skips the step (no_consent).
  await seq.getByLabel('Customer', { exact: true }).selectOption({ label: 'Customer 2' });
  await seq.getByLabel('Sequence', { exact: true }).selectOption('running-tips');
  await state.filter({ hasText: 'Customer 2: not subscribed to tips' }).waitFor(WAIT);
  await seq.getByRole('button', { name: 'Start sequence' }).click();
  const steps = seq.getByRole('table', { name: 'Steps of running-tips' });
  await steps.getByRole('row').filter({ hasText: 'tip-now' }).filter({ hasText: 'no_consent 1' }).waitFor(WAIT);

  // Customer 1 stops everything, then subscribes to tips again with START: consent, but no sequence.
  await say(1, 'stop');
  await botSaid(1, "You're unsubscribed").waitFor(WAIT);
  await say(1, 'start');
  await quickReply(1, 'Running tips').click();
  await botSaid(1, "You're subscribed").waitFor(WAIT);
  await seq.getByLabel('Customer', { exact: true }).selectOption({ label: 'Customer 1' });
  await state.filter({ hasText: 'Customer 1: subscribed to tips. running-tips is not running for them.' }).waitFor(WAIT);

  // The marketer starts it: tip 1 arrives (a second time), and tip 2 is hours away.
  await seq.getByRole('button', { name: 'Start sequence' }).click();
  await waitFor('tip 1 again', async () => ((await botSaid(1, 'Tip 1:').count()) === 2 ? true : undefined));
  const due = state.locator('time.due');
  await due.waitFor(WAIT);
  await state.filter({ hasText: 'Next step tip-later is due' }).waitFor(WAIT);
  const clockTime = seq.getByRole('group', { name: 'Demo clock' }).locator('time');
  const readMs = async (l: Locator) => Date.parse((await l.getAttribute('datetime')) ?? '');
  const hours = Math.ceil(((await readMs(due)) - (await readMs(clockTime))) / HOUR);
  // 4 h, moved into its 08:00–21:00 window: at most 15 h, inside the 24 h the START tap opened.
  expect(hours).toBeGreaterThanOrEqual(3);
  expect(hours).toBeLessThanOrEqual(15);
  expect(await botSaid(1, 'Tip 2:').count()).toBe(0);

  // "+1 hour" until the demo's time passes the step's; the clock shows each jump.
  const plusHour = seq.getByRole('button', { name: '+1 hour' });
  for (let i = 1; i <= hours; i++) {
    await plusHour.click();
    await seq.getByRole('status').filter({ hasText: 'Moved 1 hour forward' }).waitFor(WAIT);
    await seq
      .locator('.clock-ahead')
      .filter({ hasText: new RegExp(`^\\(moved ${i} hours? forward`) })
      .waitFor(WAIT);
  }
  await botSaid(1, 'Tip 2:').waitFor(WAIT);
  await steps.getByRole('row').filter({ hasText: 'tip-later' }).getByRole('cell', { name: '1', exact: true }).waitFor(WAIT);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-page-marketer-sequence.png'), fullPage: true });

  // "+1 day" moves it a day on, with the keyboard.
  await seq.getByRole('button', { name: '+1 day' }).focus();
  await page.keyboard.press('Enter');
  await seq
    .locator('.clock-ahead')
    .filter({ hasText: new RegExp(`^\\(moved 1 day ${hours} hours? forward`) })
    .waitFor(WAIT);

  // The next step is the weekly tip, a week after the start: "Jump to weekly-1" moves the clock to
  // it, and it is skipped (a marketing message, and the demo has no Marketing Messages token).
  await state.filter({ hasText: 'Next step weekly-1 is due' }).waitFor(WAIT);
  await seq.getByRole('button', { name: 'Jump to weekly-1' }).click();
  await seq.getByRole('status').filter({ hasText: 'to step weekly-1' }).waitFor(WAIT);
  await steps.getByRole('row').filter({ hasText: 'weekly-1' }).filter({ hasText: 'no_token 1' }).waitFor(WAIT);
  await state.filter({ hasText: 'Next step weekly-2 is due' }).waitFor(WAIT);

  const origin = new URL(page.url()).origin;
  expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
  expect(pageErrors).toEqual([]);
});

it('on a phone-width screen the marketer panel fits the width', async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await marketer().waitFor(WAIT);
  const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, screen: window.innerWidth })')) as {
    page: number;
    screen: number;
  };
  expect(widths.page).toBeLessThanOrEqual(widths.screen);
  await marketer().screenshot({ path: join(ARTIFACTS, 'demo-page-marketer-phone.png') });
});
