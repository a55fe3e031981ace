/**
 * Comments to Messenger in the demo page, in a real browser (issue #18, "the demo shows it"):
 * Debian's Chromium, headless, on the built demo run as a child process. A customer comments
 * "price?" under the Page's post; the private reply opens their Messenger thread (a note names the
 * comment) with the shop's quick replies, and the Page's public reply shows under the comment; a
 * tap on a quick reply continues the flow. A second comment gets its public reply and no second
 * message (one private reply a day per person). Nothing leaves the demo's address; every wait is on a condition.
 */
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ARTIFACTS, WAIT, openDemoPage, type DemoPage } from '../support/demoBrowser';

let opened: DemoPage;
let page: Page;

beforeAll(async () => {
  opened = await openDemoPage({ name: 'demo-comment', viewport: { width: 1280, height: 900 } });
  page = opened.page;
});
afterAll(() => opened?.close());

const customer = (): Locator => page.getByRole('region', { name: 'Customer 1', exact: true });
const post = (): Locator => customer().getByRole('article', { name: "Northwind Outfitters's post" });
const conversation = (): Locator => customer().getByRole('log');
const quickReply = (title: string): Locator =>
  customer().getByRole('group', { name: 'Quick replies' }).getByRole('button', { name: title, exact: true });

async function comment(text: string): Promise<void> {
  const box = post().getByLabel('Comment as Customer 1');
  await box.fill(text);
  await box.press('Enter');
  await post().getByRole('list', { name: 'Comments' }).getByText(text, { exact: true }).waitFor(WAIT);
}

it('a comment "price?" gets a private reply with quick replies in the thread and a public reply under it; a tap continues the flow', async () => {
  await page.goto(opened.pageUrl);
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor(WAIT);
  await post().getByText('New arrivals — comment below').waitFor(WAIT);

  await comment('price?');
  // The private reply opens the thread: no Get Started, a note naming the comment, then the message.
  await conversation().getByText('Replied privately to your comment “price?”').waitFor(WAIT);
  await conversation().locator('.bubble.bot', { hasText: 'Our shoes run from $54 to $169' }).waitFor(WAIT);
  for (const title of ['Shop shoes', 'Get 10% off', 'Talk to a person']) await quickReply(title).waitFor(WAIT);
  expect(await customer().getByRole('button', { name: 'Get Started' }).isVisible()).toBe(false);
  // The Page's public reply, under the comment.
  await post()
    .getByRole('list', { name: 'Replies' })
    .getByText('Sent you a message with our prices', { exact: false })
    .waitFor(WAIT);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-comment-private-reply.png'), fullPage: true });

  // The tap is the customer's first message to the Page: the shop flow goes on in their thread.
  await quickReply('Shop shoes').click();
  await conversation().locator('.bubble.customer', { hasText: 'Shop shoes' }).waitFor(WAIT);
  await conversation().locator('.bubble.bot', { hasText: "What's your EU shoe size?" }).waitFor(WAIT);

  // A second comment the same day: its public reply, and no second message in the thread.
  await comment('how much?');
  await post()
    .getByRole('list', { name: 'Replies' })
    .getByText('Sent you a message with our prices', { exact: false })
    .nth(1)
    .waitFor(WAIT);
  expect(await conversation().getByText('Replied privately to your comment').count()).toBe(1);
  expect(await conversation().locator('.bubble.bot', { hasText: 'Our shoes run from' }).count()).toBe(1);
  await page.screenshot({ path: join(ARTIFACTS, 'demo-comment-second.png'), fullPage: true });

  // Nothing was asked of any other address, and the page threw nothing.
  const origin = new URL(opened.pageUrl).origin;
  expect(opened.requests.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
  expect(opened.pageErrors).toEqual([]);
});
