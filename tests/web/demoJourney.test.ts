/**
 * The demo's acceptance journey in a real browser (issue #13): Debian's Chromium, headless, driven
 * by playwright-core, on the built demo run as a child process as a user runs it. A customer
 * presses Get Started, taps a quick reply, gets a carousel, taps a card's button, gives an invalid
 * then a valid email and is subscribed; reacts to a message; asks for a person; the agent's Page
 * Inbox shows the thread with the customer's state, the agent replies and the customer sees it;
 * Done hands the thread back and the bot answers again; the marketer sends a broadcast, sees its
 * counts, and the customer gets it. Assertions are on what is rendered. The demo runs on Redis
 * (`--redis`, a private redis-server of its own), so the page is proven on the durable store too;
 * the other page tests run it in memory.
 * Screenshots go to dist/test-artifacts/ (TEST_ARTIFACTS_DIR moves them); with UPDATE_SCREENSHOT=1
 * the README's docs/demo-screenshot.png is written too (a normal run leaves the tree as it is).
 * Every wait is on a condition.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ARTIFACTS, WAIT, openDemoPage, type DemoPage } from '../support/demoBrowser';
import { freePort } from '../support/freePort';
import { startPrivateRedis, type PrivateRedis } from '../support/privateRedis';
import { waitFor } from '../support/webhookClient';

const ROOT = join(__dirname, '..', '..');
/** The README's screenshot, rewritten only when asked (UPDATE_SCREENSHOT=1). */
const README_SCREENSHOT = join(ROOT, 'docs', 'demo-screenshot.png');

let opened: DemoPage;
let redis: PrivateRedis | undefined;
let page: Page;
let pageUrl: string;
let requests: string[];
let pageErrors: string[];

beforeAll(async () => {
  opened = await openDemoPage({
    name: 'demo-journey',
    viewport: { width: 1280, height: 1000 },
    demoArgs: async (cwd) => {
      redis = await startPrivateRedis(await freePort(), { dir: cwd });
      return ['--redis', redis.url];
    },
  });
  expect(opened.demo.logs[0]).toMatchObject({ store: 'redis' });
  ({ page, pageUrl, requests, pageErrors } = opened);
});
afterAll(async () => {
  await opened?.close();
  await redis?.kill();
});

const customer = (): Locator => page.getByRole('region', { name: 'Customer 1', exact: true });
const conversation = (): Locator => customer().getByRole('log');
const quickReply = (title: string): Locator =>
  customer().getByRole('group', { name: 'Quick replies' }).getByRole('button', { name: title, exact: true });
const botSaid = (text: string): Locator => conversation().locator('.bubble.bot', { hasText: text });
const type = async (text: string) => {
  const box = customer().getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
};
const inbox = (): Locator => page.getByRole('region', { name: 'Page Inbox (agent)' });
const glance = async (term: string): Promise<string> =>
  (await inbox().locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]').textContent()) ?? '';
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

it('Get Started → quick reply → carousel → card button → invalid then valid email → subscribed', async () => {
  await page.goto(pageUrl);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
  await customer().getByRole('button', { name: 'Get Started' }).click();
  await botSaid('Welcome to Northwind Outfitters').waitFor(WAIT);

  // A reaction to the welcome: Messenger's reaction event; the button says it is on.
  const react = conversation().locator('.bot-message', { hasText: 'Welcome to Northwind Outfitters' }).getByRole('button', {
    name: 'React with love',
  });
  await react.click();
  expect(await react.getAttribute('aria-pressed')).toBe('true');

  await quickReply('Shop shoes').click();
  await botSaid("What's your EU shoe size?").waitFor(WAIT);
  await type('42');
  const cards = conversation().getByRole('list', { name: /cards?$/ });
  await cards.waitFor(WAIT);
  await cards.getByRole('listitem').first().getByRole('button', { name: 'I want this' }).click();
  await botSaid('Good choice! Want 10% off it?').waitFor(WAIT);
  await quickReply('Yes please').click();
  await botSaid("What's your email?").waitFor(WAIT);
  await type('not-an-email');
  await botSaid("that doesn't look like an email").waitFor(WAIT);
  await type('sam@example.com');
  await botSaid('Your code is WELCOME10').waitFor(WAIT);
  await shot('journey-subscribed.png');

  // The reaction reached the bot as a Messenger event (the page reported no failure).
  expect(await customer().locator('.alert').textContent()).toBe('');
});

it("asks for a person → the Page Inbox shows the thread and state → the agent's reply reaches the customer → Done → the bot answers again", async () => {
  await quickReply('No thanks').click();
  await quickReply('Talk to a person').click();
  await botSaid('Connecting you with a person').waitFor(WAIT);
  // Written while the Page Inbox has the thread: the bot's app gets it on standby and keeps it for the agent.
  await type('Can I swap my size 42 for a 43?');

  // The thread appears in the agent's inbox (re-read on the stream's nudges, not on a timer).
  const thread = inbox()
    .getByRole('list', { name: 'Threads handed to a person' })
    .getByRole('button', { name: /^Customer 1: / });
  await thread.waitFor(WAIT);
  await thread.click();
  const open = inbox().getByRole('region', { name: 'Customer 1', exact: true });
  await open.waitFor(WAIT);
  // The customer's messages while a person has (or is taking) the thread, and their state at a glance.
  await open.getByRole('log', { name: 'Transcript with Customer 1' }).getByText('Can I swap my size 42').waitFor(WAIT);
  await waitFor('the glance to show the subscription', async () =>
    (await glance('Consent')).includes('offers: yes') ? true : undefined,
  );
  expect(await glance('Tags')).toContain('lead');
  expect(await glance('Fields')).toContain('email = sam@example.com');
  expect(await glance('Window')).toMatch(/left$/);

  // The agent replies: the customer sees it in their thread, from the Page Inbox.
  // Picking a thread puts the keyboard in its reply box: the agent types, Enter sends.
  await waitFor('the reply box to have the focus', async () =>
    (await page.evaluate('document.activeElement?.id')) === 'agent-reply' ? true : undefined,
  );
  await page.keyboard.type('Hi, Alex from Northwind here. How can I help?');
  await page.keyboard.press('Enter');
  await botSaid('Hi, Alex from Northwind here').waitFor(WAIT);
  expect(await conversation().locator('.bubble.inbox', { hasText: 'Alex from Northwind' }).count()).toBe(1);
  // The bot took it as a person's message: the thread is with a person, the reply in the transcript.
  await open.getByRole('log').getByText('Alex from Northwind', { exact: false }).waitFor(WAIT);
  await waitFor('the thread to be with a person', async () => ((await glance('Thread')) === 'with a person' ? true : undefined));
  await shot('journey-agent.png');
  // The README's picture: the customer's thread and the agent's inbox, from the top of the page.
  await page.evaluate('window.scrollTo(0, 0)'); // from the top, boxes are where they are on the page
  const inboxBox = await inbox().boundingBox();
  const readmeShot = join(ARTIFACTS, 'journey-readme.png');
  if (inboxBox)
    await page.screenshot({
      path: readmeShot,
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: inboxBox.y + inboxBox.height + 16 },
    });
  if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(readmeShot, README_SCREENSHOT);

  // Done: the thread goes back to the bot, which says so and answers the customer again.
  await open.getByRole('button', { name: 'Done: hand back to the bot' }).click();
  await botSaid("You're chatting with our automated assistant now").waitFor(WAIT);
  await thread.waitFor({ state: 'detached', ...WAIT });
  await waitFor('the thread to be with the bot', async () => ((await glance('Thread')) === 'with the bot' ? true : undefined));
  await type('hi');
  await waitFor('the bot to answer again', async () =>
    (await botSaid('Welcome to Northwind Outfitters').count()) === 2 ? true : undefined,
  );
  await shot('journey-done.png');
});

it('the marketer sends a broadcast to the subscribed customers and sees its counts; the customer gets it', async () => {
  const broadcast = page.getByRole('region', { name: 'Marketer' }).getByRole('region', { name: 'Broadcast', exact: true });
  // The filter's default selects customers subscribed to offers with the window open: Customer 1.
  await broadcast.getByRole('button', { name: 'Send broadcast' }).click();
  const status = broadcast.getByRole('status');
  await status.filter({ hasText: /^Done: 1 sent, 0 skipped, 0 failed\.$/ }).waitFor(WAIT);
  const counts = broadcast.getByRole('list', { name: 'Broadcast counts' });
  await counts.getByText('Targeted 1', { exact: true }).waitFor(WAIT);
  await counts.getByText('Sent 1', { exact: true }).waitFor(WAIT);
  await botSaid('New this week, Sam').waitFor(WAIT);
  // The fake reports it delivered, then read, as Meta does: the counts follow.
  await counts.getByText('Delivered 1', { exact: true }).waitFor(WAIT);
  await shot('journey-broadcast.png');
  expect(pageErrors).toEqual([]);

  const origin = new URL(pageUrl).origin;
  expect(requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
  expect(pageErrors).toEqual([]);
});

it("on a phone-width screen the agent's inbox fits the width, a thread under the list", async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await inbox().waitFor(WAIT);
  const widths = (await page.evaluate('({ page: document.documentElement.scrollWidth, screen: window.innerWidth })')) as {
    page: number;
    screen: number;
  };
  expect(widths.page).toBeLessThanOrEqual(widths.screen);
  const [list, thread] = [
    await inbox().locator('.agent-list').boundingBox(),
    await inbox().locator('.agent-thread').boundingBox(),
  ];
  expect(list && thread && thread.y >= list.y + list.height).toBe(true);
  await shot('journey-phone.png');
});
