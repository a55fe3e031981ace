import { join } from 'node:path';
import { checkBroadcast } from '../../src/broadcasts/loadBroadcasts';
import type { BroadcastLintOptions } from '../../src/broadcasts/lintBroadcast';
import type { FlowSet } from '../../src/engine/flowSet';
import { loadFlows } from '../../src/flows/loadFlows';
import { formatProblem } from '../../src/flows/problem';

const shop = loadFlows(join(__dirname, '..', '..', 'flows'));
if (!shop.ok) throw new Error('the shop flows must load');
const flows: FlowSet = shop.flowSet;

/** Every problem of a definition as `flows check` prints it (severity: file:line: message). */
function check(lines: readonly string[], options: BroadcastLintOptions = { flows }): string[] {
  const result = checkBroadcast(`${lines.join('\n')}\n`, 'broadcasts/b.yaml', options);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}
const ok = (lines: readonly string[], options?: BroadcastLintOptions): boolean =>
  checkBroadcast(`${lines.join('\n')}\n`, 'b.yaml', options ?? { flows }).ok;

const PROMO = ['id: promo', 'name: Promo', 'kind: promotional', 'topic: offers'];
const TAGGED = ['id: upd', 'name: Update', 'kind: tagged', 'tag: POST_PURCHASE_UPDATE'];

describe('broadcast linter', () => {
  it('refuses HUMAN_AGENT on its line, saying why and what to use', () => {
    const [problem] = check([
      'id: x',
      'name: X',
      'kind: tagged',
      'tag: HUMAN_AGENT',
      'audience: { where: [tag=a] }',
      'messages: [{ text: hi }]',
    ]);
    expect(problem).toMatch(
      /^error: broadcasts\/b\.yaml:4: tag: HUMAN_AGENT is not allowed on a broadcast: .*person's own reply/,
    );
    expect(problem).toMatch(/fix: use CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE, ACCOUNT_UPDATE/);
  });

  it('refuses marketing_message unless MARKETING_AD_ACCOUNT_ID is set, naming what Meta requires', () => {
    const lines = [
      'id: mm',
      'name: MM',
      'kind: marketing_message',
      'topic: offers',
      'audience: { where: [mmtoken=yes] }',
      'messages: [{ text: hi }]',
    ];
    const problems = check(lines);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^error: broadcasts\/b\.yaml:3: .*MARKETING_AD_ACCOUNT_ID is not set; Meta requires App Review of ads_management, pages_messaging and paid_marketing_messages.*EU/,
    );
    expect(ok(lines, { flows, adAccountId: 'act_123' })).toBe(true);
    expect(check([...lines.slice(0, 5), 'start: shop/menu'], { flows, adAccountId: 'act_123' })[0]).toMatch(
      /^error: broadcasts\/b\.yaml:6: a marketing_message broadcast sends one message campaign/,
    );
  });

  it('warns (does not refuse) about promotional words in a tagged message, on its line', () => {
    const lines = [
      ...TAGGED,
      'audience: { where: [field.order_number exists] }',
      'messages:',
      '  - text: "Your order shipped."',
      '  - text: "Use COUPON X for 10% OFF next time"',
    ];
    const problems = check(lines);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^warning: broadcasts\/b\.yaml:8: this message contains "COUPON", which reads as promotional; messages under the tag POST_PURCHASE_UPDATE/,
    );
    expect(ok(lines)).toBe(true);
    // Word boundaries: "wholesale" and "offering" are not "sale" and "offer".
    expect(
      check([
        ...TAGGED,
        'audience: { where: [tag=b2b] }',
        'messages: [{ text: "Your wholesale account is now offering invoices" }]',
      ]),
    ).toEqual([]);
    // The same words in a promotional broadcast are its point.
    expect(check([...PROMO, 'audience: { where: [window=open] }', 'messages: [{ text: "20% off: coupon SUMMER" }]'])).toEqual([]);
    // A message marked promotional cannot go under a tag at all.
    expect(check([...TAGGED, 'audience: { where: [tag=b] }', 'messages:', '  - text: hi', '    promotional: true'])[0]).toMatch(
      /^error: broadcasts\/b\.yaml:8: a message marked promotional cannot go out under the tag/,
    );
  });

  it('warns when a promotional audience does not require the window open, and when a tagged one is everyone', () => {
    expect(check([...PROMO, 'audience: { where: [consent.offers=yes] }', 'messages: [{ text: hi }]'])).toEqual([
      expect.stringMatching(
        /^warning: broadcasts\/b\.yaml:5: promotional content may reach a user only inside their messaging window.*skipped with reason outside_window/,
      ),
    ]);
    expect(check([...PROMO, 'audience: { where: ["window<6h"] }', 'messages: [{ text: hi }]'])).toEqual([]);
    // Inside `any` the window may not hold for everyone.
    expect(check([...PROMO, 'audience: { where: ["window=open | tag=x"] }', 'messages: [{ text: hi }]'])).toHaveLength(1);
    expect(check([...TAGGED, 'audience: { all: [] }', 'messages: [{ text: hi }]'])[0]).toMatch(
      /^warning: broadcasts\/b\.yaml:5: the tag POST_PURCHASE_UPDATE may be used only for people it is true for/,
    );
  });

  it('checks start against the loaded flows', () => {
    const audience = 'audience: { where: [window=open] }';
    expect(check([...PROMO, audience, 'start: shop/menu'])).toEqual([]);
    expect(check([...PROMO, audience, 'start: shop/nowhere'])[0]).toMatch(
      /^error: broadcasts\/b\.yaml:6: start "shop\/nowhere": flow "shop" has no node "nowhere"/,
    );
    expect(check([...PROMO, audience, 'start: blog/menu'])[0]).toMatch(
      /^error: broadcasts\/b\.yaml:6: start "blog\/menu": there is no flow "blog"\n {2}fix: use one of: faq, shop/,
    );
    // A tagged broadcast starting a node that promotes is warned about too.
    expect(check([...TAGGED, 'audience: { where: [tag=x] }', 'start: shop/summer_sale'])[0]).toMatch(
      /^warning: broadcasts\/b\.yaml:6: node "shop\/summer_sale" \(say 0\) contains "sale"/,
    );
  });

  it("applies the flows' own Send API checks to the messages, on the offending line", () => {
    const problems = check([
      ...PROMO,
      'audience: { where: [window=open] }',
      'messages:',
      '  - text: hi',
      '    quick_replies:',
      '      - { title: "This title is far too long for Messenger", payload: SHOP_SHOES }',
      '  - text: x',
      '    buttons:',
      '      - { title: A, url: "http://insecure.example.com" }',
      '  - cards: [{ title: Only a title }]',
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^error: broadcasts\/b\.yaml:9: quick reply title .* has 40 characters; Messenger allows at most 20/),
      expect.stringMatching(
        /^error: broadcasts\/b\.yaml:12: button url "http:\/\/insecure\.example\.com" is not an https:\/\/ URL/,
      ),
      expect.stringMatching(/^error: broadcasts\/b\.yaml:13: card "Only a title" has only a title/),
    ]);
    expect(check([...PROMO, 'audience: { where: [window=open] }', 'messages: [{ typing: 1000 }]'])[0]).toMatch(/nothing to send/);
  });

  it('refuses goto in a broadcast button and warns about payloads no flow answers', () => {
    const problems = check([
      ...PROMO,
      'audience: { where: [window=open] }',
      'messages:',
      '  - text: hi',
      '    buttons:',
      '      - { title: Menu, goto: menu }',
      '      - { title: Shoes, payload: SHOP_SHOES }',
      '      - { title: Nothing, payload: NOBODY_ANSWERS }',
    ]);
    expect(problems).toEqual([
      expect.stringMatching(/^error: broadcasts\/b\.yaml:9: goto "menu": a broadcast is not part of a flow/),
      expect.stringMatching(/^warning: broadcasts\/b\.yaml:11: payload "NOBODY_ANSWERS" is answered by no flow/),
    ]);
  });
});
