import { formatReport } from '../../src/flows/formatFlowTests';
import { DEMO_SETTINGS, ran, runTestsOn } from './flowTestDir';

/**
 * Conversation tests of comment flows (docs/flows.md, "Testing conversations"): a `comment:` turn
 * goes through the comment lane's engine, its private reply is the turn's `bot:`, its public reply
 * `public_reply:`, and a tap on the private reply continues in the customer's own conversation.
 */

/** A private reply for comments saying "price" under post 111_1 (with a public reply), one for "size" anywhere. */
const COMMENT_FLOW = `id: promo
start: hello
triggers:
  - get_started: true
  - comment: { keywords: [price], post: "111_1", reply: "Check your inbox" }
    goto: price
  - comment: { keywords: [size] }
    goto: sizes
nodes:
  hello:
    say: [{ text: "Hello!" }]
    end: true
  price:
    say:
      - text: "Prices start at {{currency|$}}10."
        quick_replies:
          - { title: See more, goto: more }
  sizes:
    say:
      - text: "Sizes 36 to 47."
        quick_replies:
          - { title: Shop, goto: more }
  more:
    say: [{ text: "Here is more." }]
    end: true
`;

const run = (tests: Readonly<Record<string, string>>, settings?: string) =>
  runTestsOn({ 'promo.yaml': COMMENT_FLOW }, tests, settings);

const PRICE = `  - comment: { text: "what's the price?", post: "111_1", id: "111_1_9" }
    bot:
      - { text: "Prices start at $10.", quick_replies: [See more] }
    public_reply: "Check your inbox"
`;

describe('talkshop flows test: comments', () => {
  it('answers a comment with the private and public replies, and a tap on the private reply continues the flow', () => {
    const report = ran(
      run(
        {
          'price.yaml': `name: price
turns:
${PRICE}  - tap: See more
    bot: ["Here is more."]
  - comment: { text: "which size?", post: "222_2" }
    bot: [{ contains: "Sizes 36" }]
`,
        },
        // Two private replies a day for one person (the default is one: see the next test).
        `${DEMO_SETTINGS}comments: { private_replies_per_day: 2 }\n`,
      ),
    );
    expect(report.results.map((r) => r.failure)).toEqual([undefined]);
    // The private replies' nodes count as checked, and their quick replies as tapped.
    const promo = report.coverage.flows[0];
    expect(promo?.nodes.missing).toEqual(['promo/hello']);
    expect(promo?.quickReplies).toMatchObject({ covered: 1, total: 2 });
  });

  it('expresses every comment that gets nothing: old, the Page’s own, unheard, answered before, over the daily cap', () => {
    const report = ran(
      run({
        'ignored.yaml': `name: ignored
turns:
  - comment: { text: "price?", post: "111_1", age: 8d }
    silent: true
  - comment: { text: "price?", post: "111_1", by_page: true }
    silent: true
  - comment: { text: "price?", post: "999_9" }
    silent: true
  - comment: "lovely"
    silent: true
  - comment: { text: "price", visitor_post: true }
    silent: true
${PRICE}  - comment: { text: "price?", post: "111_1", id: "111_1_9" }
    silent: true
  - comment: { text: "price again", post: "111_1" }
    public_reply: "Check your inbox"
  - wait: 1d
    silent: true
  - comment: { text: "size?", visitor_post: true }
    bot: ["Sizes 36 to 47."]
`,
      }),
    );
    expect(report.results.map((r) => r.failure)).toEqual([undefined]);
  });

  it('fails a wrong public reply, an unexpected one, and a private reply that never came, with the file, turn and why', () => {
    const report = ran(
      run({
        'a-wrong.yaml': `name: wrong\nturns:\n  - comment: { text: price, post: "111_1" }\n    bot: ["Prices start at $10."]\n    public_reply: "See your DMs"\n`,
        'b-extra.yaml': `name: extra\nturns:\n  - comment: { text: price, post: "111_1" }\n    bot: ["Prices start at $10."]\n`,
        'c-old.yaml': `name: old\nturns:\n  - comment: { text: price, post: "111_1", age: 8d }\n    bot: ["Prices start at $10."]\n`,
      }),
    );
    const [wrong, extra, old] = report.results.map((r) => r.failure);
    expect(wrong).toMatchObject({ turn: 1, line: 3, action: 'someone comments "price" under post 111_1' });
    expect(wrong?.diff).toEqual([
      { sign: ' ', text: 'bot: "Prices start at $10."  [quick replies: See more]' },
      { sign: '-', text: 'public reply: "See your DMs"' },
      { sign: '+', text: 'public reply: "Check your inbox"' },
    ]);
    expect(wrong?.problems).toEqual(['the public reply differs']);
    expect(extra?.problems).toEqual(['the Page also replied in public: add public_reply: to the turn']);
    expect(old?.problems).toEqual(['expected message 1 never came', 'the comment got no private reply: older than 7 days']);
    const printed = formatReport(report).join('\n');
    expect(printed).toMatch(
      /turn 1 \(\S*tests\/c-old\.yaml:3\): someone comments "price" under post 111_1 \(written 8 days ago\)/,
    );
    expect(printed).toContain('  - bot: "Prices start at $10."');
    expect(printed).toContain('    (no private reply: older than 7 days)');
    expect(report.ok).toBe(false);
  });

  it('fails a private reply the turn does not name, even when it names only the public reply', () => {
    const report = ran(
      run({ 'p.yaml': `name: p\nturns:\n  - comment: { text: price, post: "111_1" }\n    public_reply: "Check your inbox"\n` }),
    );
    expect(report.results[0]?.failure?.problems).toEqual(["the bot's message 1 was not expected"]);
  });

  it('refuses comment turns that cannot be right, with their line', () => {
    const report = run({
      'a.yaml': `name: a\nturns:\n  - say: hi\n    public_reply: "x"\n`,
      'b.yaml': `name: b\nturns:\n  - comment: price\n    bot: ["one", "two"]\n`,
      'c.yaml': `name: c\nturns:\n  - comment: { text: price, age: a week }\n    silent: true\n`,
      'd.yaml': `name: d\nturns:\n  - comment: price\n`,
      'e.yaml': `name: e\nturns:\n  - comment: { text: price, post: "../me" }\n    silent: true\n`,
    });
    expect(report.kind).toBe('load');
    const printed = formatReport(report).join('\n');
    expect(printed).toMatch(/a\.yaml:3: turns\.0: public_reply answers a comment: add comment: to the turn/);
    expect(printed).toMatch(/b\.yaml:3: turns\.0: a comment gets one private reply at most/);
    expect(printed).toMatch(/c\.yaml:\d: turns\.0\.comment\.age: "a week" is not an age such as 45s/);
    expect(printed).toMatch(/d\.yaml:3: turns\.0: say what the bot answers: bot \(its messages\), public_reply or silent: true/);
    expect(printed).toMatch(/e\.yaml:\d: turns\.0\.comment\.post: /);
  });
});
