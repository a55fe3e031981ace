/**
 * The demo page's customer actions (src/cli/demoWebEvents.ts): what the page may ask for, and the
 * webhook body Meta would post for each, read back by the service's own parser and event reader,
 * so a tap in the page is the same event for the bot as a tap in Messenger.
 */
import { demoActionSchema, demoWebhookBody, type DemoAction } from '../../src/cli/demoWebEvents';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import { parseWebhook } from '../../src/webhook/parseWebhook';

const PAGE = 'demo-page';
const NOW = 1_790_000_000_000;

/** The body as the webhook reads it: one event for PAGE from the customer, and what the engine makes of it. */
function readBack(action: DemoAction) {
  const body = JSON.parse(demoWebhookBody(action, PAGE, NOW, 'm_1')) as unknown;
  const parsed = parseWebhook(body, NOW, { pageId: PAGE, oldestMs: NOW - 60_000, maxEvents: 10 });
  if (parsed.type !== 'ok') throw new Error(`parseWebhook: ${parsed.type}`);
  expect(parsed.ignored).toEqual([]);
  expect(parsed.events).toHaveLength(1);
  const event = parsed.events[0]!;
  expect(event.userId).toBe(action.customer);
  return { event, engine: toEngineEvent(event) };
}

describe('demoWebhookBody', () => {
  it('a typed text is a message event with the text', () => {
    const { event, engine } = readBack({ customer: 'c-1', type: 'text', text: 'hi' });
    expect(event.kind).toBe('message');
    expect(event.raw).toMatchObject({ message: { mid: 'm_1', text: 'hi' } });
    expect(engine).toMatchObject({ type: 'text', text: 'hi', at: NOW });
  });

  it('a quick-reply tap is a message with its title as the text and its payload', () => {
    const { event, engine } = readBack({
      customer: 'c-1',
      type: 'quick_reply',
      title: 'Shop shoes',
      payload: 'TS|shop|menu|s0q0',
    });
    expect(event.kind).toBe('quick_reply');
    expect(engine).toMatchObject({ type: 'payload', payload: 'TS|shop|menu|s0q0', text: 'Shop shoes' });
  });

  it('a postback tap carries its payload and title', () => {
    const { event, engine } = readBack({ customer: 'c-1', type: 'postback', title: 'Buy', payload: 'TS|catalog|x|0|p1' });
    expect(event.kind).toBe('postback');
    expect(engine).toMatchObject({ type: 'payload', payload: 'TS|catalog|x|0|p1', text: 'Buy' });
  });

  it('Get Started is the GET_STARTED postback; through an m.me link it carries the ref', () => {
    expect(readBack({ customer: 'c-1', type: 'get_started' }).engine).toMatchObject({ type: 'payload', payload: 'GET_STARTED' });
    expect(readBack({ customer: 'c-1', type: 'get_started', ref: 'summer-sale' }).engine).toMatchObject({
      type: 'payload',
      payload: 'GET_STARTED',
      ref: 'summer-sale',
      referral: { ref: 'summer-sale', source: 'SHORTLINK' },
    });
  });

  it('an m.me link opened on a known thread is a referral event', () => {
    const { event, engine } = readBack({ customer: 'c-1', type: 'ref', ref: 'summer-sale' });
    expect(event.kind).toBe('referral');
    expect(engine).toMatchObject({ type: 'referral', ref: 'summer-sale', fromAd: false });
  });
});

describe('demoActionSchema', () => {
  it.each([
    ['an unknown action', { customer: 'c-1', type: 'dance' }],
    ['no customer', { type: 'text', text: 'hi' }],
    ['a customer id with a space', { customer: 'c 1', type: 'text', text: 'hi' }],
    ['an empty text', { customer: 'c-1', type: 'text', text: '' }],
    ['a text over 2,000 characters', { customer: 'c-1', type: 'text', text: 'x'.repeat(2001) }],
    ['a quick reply without payload', { customer: 'c-1', type: 'quick_reply', title: 'Yes' }],
    ['a ref with a slash', { customer: 'c-1', type: 'ref', ref: 'a/b' }],
    ['an extra field', { customer: 'c-1', type: 'text', text: 'hi', page: 'other' }],
  ])('refuses %s', (_what, body) => expect(demoActionSchema.safeParse(body).success).toBe(false));

  it('counts characters as Meta does: 2,000 emoji are a valid text', () =>
    expect(demoActionSchema.safeParse({ customer: 'c-1', type: 'text', text: '👟'.repeat(2000) }).success).toBe(true));
});
