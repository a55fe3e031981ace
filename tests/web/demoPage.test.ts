/**
 * The demo page in a real browser (issue #13, the customer side): Debian's Chromium, headless,
 * driven by playwright-core, on the built demo run as a child process as a user runs it. A customer
 * types "hi" and sees the bot's welcome and the menu's quick replies, taps one, sees them go and
 * the next question arrive, answers it and gets a carousel whose images are placeholders, taps a
 * card's postback button and gets its answer; a second customer, started at the same time with the
 * keyboard (Get Started), gets a conversation of their own; a third opens an m.me link with a ref. Nothing the page asks for leaves the demo's own address. Screenshots go to
 * dist/test-artifacts/ (TEST_ARTIFACTS_DIR moves them). Every wait is on a condition.
 */
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ARTIFACTS, WAIT, openDemoPage, type DemoPage } from '../support/demoBrowser';
import { waitFor } from '../support/webhookClient';

let opened: DemoPage;
let page: Page;
let pageUrl: string;
let requests: string[];
let pageErrors: string[];

beforeAll(async () => {
  opened = await openDemoPage({ name: 'demo-page', viewport: { width: 1280, height: 900 } });
  ({ page, pageUrl, requests, pageErrors } = opened);
});
afterAll(() => opened?.close());

const customer = (n: number): Locator => page.getByRole('region', { name: `Customer ${n}`, exact: true });
const conversation = (n: number): Locator => customer(n).getByRole('log');
const quickReply = (n: number, title: string): Locator =>
  customer(n).getByRole('group', { name: 'Quick replies' }).getByRole('button', { name: title, exact: true });
/** The element with the keyboard focus: its text, its name, and the customer panel it is in (run in the page). */
const focused = async () =>
  (await page.evaluate(
    `(() => { const el = document.activeElement; return { text: el?.textContent ?? '', name: el?.getAttribute('name') ?? '', panel: el?.closest('section')?.querySelector('h3')?.textContent ?? '' }; })()`,
  )) as { text: string; name: string; panel: string };
const botSaid = (n: number, text: string): Locator => conversation(n).locator('.bubble.bot', { hasText: text });

it('a customer types hi, taps a quick reply, answers, and gets a carousel; a second customer talks at the same time', async () => {
  await page.goto(pageUrl);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);

  // Customer 1 types, Enter sends.
  const message = customer(1).getByLabel('Message', { exact: true });
  await message.fill('hi');
  await message.press('Enter');
  await conversation(1).locator('.bubble.customer', { hasText: 'hi' }).waitFor(WAIT);
  // The bot marks the thread seen (mark_seen): "Seen" under the customer's message.
  await conversation(1).locator('.bubble.customer', { hasText: 'hi' }).getByText('Seen', { exact: true }).waitFor(WAIT);

  // Customer 2 joins meanwhile, with the keyboard only: the new panel's Get Started has the focus.
  await page.getByRole('button', { name: 'Add a customer' }).click();
  await customer(2).waitFor(WAIT);
  await waitFor('Get Started to have the focus', () =>
    focused().then((f) => (f.text === 'Get Started' && f.panel === 'Customer 2' ? true : undefined)),
  );
  await page.keyboard.press('Enter');

  // Both get the welcome and the menu, each in their own panel.
  for (const n of [1, 2]) {
    await botSaid(n, 'Welcome to Northwind Outfitters').waitFor(WAIT);
    for (const title of ['Shop shoes', 'Order status', 'Get 10% off', 'FAQ', 'Talk to a person'])
      await quickReply(n, title).waitFor(WAIT);
  }
  await page.screenshot({ path: join(ARTIFACTS, 'demo-page-welcome.png'), fullPage: true });

  // Customer 1 taps "Shop shoes": the quick replies go, the tap shows as what they said, the bot asks their size.
  await quickReply(1, 'Shop shoes').click();
  await customer(1)
    .getByRole('group', { name: 'Quick replies' })
    .getByRole('button')
    .first()
    .waitFor({ state: 'detached', ...WAIT });
  await conversation(1).locator('.bubble.customer', { hasText: 'Shop shoes' }).waitFor(WAIT);
  await botSaid(1, "What's your EU shoe size?").waitFor(WAIT);
  // The keyboard stays in the thread: the tapped button is gone, the message box has the focus.
  await waitFor('the message box to have the focus', () =>
    focused().then((f) => (f.name === 'text' && f.panel === 'Customer 1' ? true : undefined)),
  );
  await page.keyboard.type('42');
  await page.keyboard.press('Enter');

  // A carousel of cards from the catalog: images are placeholders with the card's title, never loaded.
  const cards = conversation(1).getByRole('list', { name: /cards?$/ });
  await cards.waitFor(WAIT);
  const first = cards.getByRole('listitem').first();
  await first.getByRole('img', { name: /^Image: .+ \(not loaded: the demo works offline\)$/ }).waitFor(WAIT);
  expect(await first.getByRole('button').count()).toBeGreaterThan(0);
  // A web_url button is a link the customer may follow (in a new tab), not a request the page makes.
  const buy = first.getByRole('link', { name: /^Buy/ });
  expect(await buy.getAttribute('href')).toMatch(/^https:\/\/shop\.example\.com\/p\/.+\?buy=1$/);
  expect(await buy.getAttribute('target')).toBe('_blank');
  expect(await page.locator('img').count()).toBe(0);

  // A card's postback button sends its payload: the flow's `picked` node answers.
  await first.getByRole('button', { name: 'I want this' }).click();
  await conversation(1).locator('.bubble.customer', { hasText: 'I want this' }).waitFor(WAIT);
  await botSaid(1, 'Good choice! Want 10% off it?').waitFor(WAIT);
  await quickReply(1, 'Yes please').waitFor(WAIT);

  // Customer 2's thread saw none of it: still at the menu, with their own quick replies.
  expect(await botSaid(2, "What's your EU shoe size?").count()).toBe(0);
  expect(await conversation(2).getByRole('list').count()).toBe(0);
  expect(await botSaid(2, 'Welcome to Northwind Outfitters').count()).toBe(1);
  await quickReply(2, 'Shop shoes').waitFor(WAIT);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-page-carousel.png'), fullPage: true });

  // Nothing was asked of any other address (no CDN, font or image), and the page threw nothing.
  const origin = new URL(pageUrl).origin;
  expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
  expect(pageErrors).toEqual([]);
});

it('a new customer who opens an m.me link with a ref starts on Get Started carrying it: the ref trigger answers', async () => {
  await page.getByRole('button', { name: 'Add a customer' }).click();
  const ref = customer(3).getByLabel('Open m.me link with ref');
  await ref.fill('summer-sale');
  await ref.press('Enter');
  await conversation(3).getByText('Opened m.me link: ref summer-sale').waitFor(WAIT);
  await botSaid(3, 'Summer sale: 20% off trail shoes this week').waitFor(WAIT);
});

it('on a phone-width screen the page fits the width: one column, nothing wider than the screen', async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await customer(1).waitFor(WAIT);
  const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, screen: window.innerWidth })')) as {
    page: number;
    screen: number;
  };
  expect(widths.page).toBeLessThanOrEqual(widths.screen);
  const [a, b] = [await customer(1).boundingBox(), await customer(2).boundingBox()];
  expect(a && b && b.y >= a.y + a.height).toBe(true); // stacked, not side by side
  await page.screenshot({ path: join(ARTIFACTS, 'demo-page-phone.png'), fullPage: true });
});
