import { flowsDir, FLOW, inFile, lineWith, load, SEQUENCE } from './sequenceFiles';

/** The problems of sequences/tips.yaml when it holds `text` beside FLOW (or `flow`). */
function lint(text: string, flow = FLOW): { ok: boolean; sequence: string[]; flow: string[] } {
  const r = load(flowsDir({ 'shop.yaml': flow, 'sequences/tips.yaml': text }));
  return { ok: r.ok, sequence: inFile(r.problems, 'tips.yaml'), flow: inFile(r.problems, 'shop.yaml') };
}

/** A sequence with these steps (YAML, indented as list items under steps:). */
const withSteps = (steps: string, topic = 'tips'): string => `id: tips\nname: Tips\ntopic: ${topic}\nsteps:\n${steps}`;

describe('lintSequences: errors refuse the load', () => {
  it('a valid sequence has no problem', () => {
    expect(lint(SEQUENCE)).toEqual({ ok: true, sequence: [], flow: [] });
  });

  it("a step's message that breaks a Send API limit (the flows' own checks, at the step's line)", () => {
    const text = withSteps(
      `  - id: long\n    delay: 0m\n    kind: promotional\n    messages:\n      - text: "${'x'.repeat(2001)}"\n`,
    );
    const r = lint(text);
    expect(r.ok).toBe(false);
    expect(r.sequence).toEqual([
      expect.stringMatching(
        new RegExp(`^error ${lineWith(text, 'xxxx')}: text "x+…" has 2001 characters; Messenger allows at most 2000$`),
      ),
    ]);
  });

  it('a card image that is not https: reported once at its line (the render backstop does not repeat an explicit check)', () => {
    const text = withSteps(
      `  - id: card\n    delay: 0m\n    kind: promotional\n    messages:\n      - cards:\n          - { title: Card, subtitle: ok }\n          - { title: Pic, image_url: "http://images.example.com/x.jpg" }\n`,
    );
    const r = lint(text);
    expect(r.ok).toBe(false);
    expect(r.sequence).toEqual([
      `error ${lineWith(text, 'title: Pic')}: card image_url "http://images.example.com/x.jpg" is not an https:// URL`,
    ]);
  });

  it('a step of only typing indicators', () => {
    const text = withSteps(`  - id: dots\n    delay: 0m\n    kind: promotional\n    messages:\n      - typing: 1000\n`);
    expect(lint(text).sequence).toEqual([
      `error ${lineWith(text, 'messages:')}: step "dots" has only typing indicators: nothing to send`,
    ]);
  });

  it('start naming a flow, or a node, that does not exist', () => {
    const flowMissing = withSteps(`  - id: go\n    delay: 0m\n    kind: promotional\n    start: nope/welcome\n`);
    expect(lint(flowMissing).sequence).toEqual([
      `error ${lineWith(flowMissing, 'start:')}: start "nope/welcome": there is no flow "nope"`,
    ]);
    const nodeMissing = withSteps(`  - id: go\n    delay: 0m\n    kind: promotional\n    start: shop/welcom\n`);
    const r = lint(nodeMissing);
    expect(r.ok).toBe(false);
    expect(r.sequence).toEqual([
      `error ${lineWith(nodeMissing, 'start:')}: start "shop/welcom": flow "shop" has no node "welcom"`,
    ]);
    const fine = withSteps(`  - id: go\n    delay: 0m\n    kind: promotional\n    start: shop/welcome\n`);
    expect(lint(fine)).toEqual({ ok: true, sequence: [], flow: [] });
  });

  it('a marketing_message step cannot start a flow node (and is warned about as every marketing_message)', () => {
    const text = withSteps(`  - id: mm\n    delay: 0m\n    kind: marketing_message\n    start: shop/welcome\n`);
    const r = lint(text);
    expect(r.ok).toBe(false);
    expect(r.sequence).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning ${lineWith(text, 'kind:')}: step "mm" is a marketing_message: sent only when MARKETING_AD_ACCOUNT_ID is set`,
        ),
      ),
      `error ${lineWith(text, 'start:')}: step "mm": a marketing_message sends one message through Meta's campaign; it cannot start a flow node`,
    ]);
  });

  it("a button's goto (a step is in no flow) and a reserved TS| payload", () => {
    const text = withSteps(
      `  - id: b\n    delay: 0m\n    kind: promotional\n    messages:\n      - text: Tip\n        buttons:\n          - { title: More, goto: welcome }\n          - { title: Again, payload: "TS|x" }\n`,
    );
    expect(lint(text).sequence).toEqual([
      `error ${lineWith(text, 'goto: welcome')}: goto "welcome": a sequence step is not part of a flow, so its buttons cannot jump to a node`,
      `error ${lineWith(text, 'TS|x')}: payload "TS|x": TS| is reserved for generated payloads`,
    ]);
  });

  it('a tagged step with a message marked promotional', () => {
    const text = withSteps(
      `  - id: t\n    delay: 0m\n    kind: tagged\n    tag: ACCOUNT_UPDATE\n    messages:\n      - text: Your account changed\n        promotional: true\n`,
    );
    expect(lint(text).sequence).toEqual([
      `error ${lineWith(text, 'promotional: true')}: a message marked promotional cannot go out under the tag ACCOUNT_UPDATE: Meta bans promotional content under every tag`,
    ]);
  });

  it('start_sequence and stop_sequence in a flow naming an unknown sequence (node and control actions)', () => {
    const flow = FLOW.replace('      - start_sequence: tips\n', '      - start_sequence: tipz\n').replace(
      '      - text: "Hello! Tips are on their way."\n',
      '      - text: "Hello! Tips are on their way."\n        quick_replies:\n          - { title: Stop, actions: [{ stop_sequence: nudges }], goto: welcome }\n',
    );
    const r = lint(SEQUENCE, flow);
    expect(r.ok).toBe(false);
    expect(r.flow).toEqual([
      `error ${lineWith(flow, 'start_sequence: tipz')}: start_sequence: tipz names no sequence: there is no sequences/*.yaml with id "tipz"`,
      `error ${lineWith(flow, 'stop_sequence: nudges')}: stop_sequence: nudges names no sequence: there is no sequences/*.yaml with id "nudges"`,
    ]);
  });

  it('with no sequences directory at all, a start_sequence is still checked', () => {
    const r = load(flowsDir({ 'shop.yaml': FLOW }));
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => `${p.line ?? '-'}: ${p.message}`)).toEqual([
      `${lineWith(FLOW, 'start_sequence')}: start_sequence: tips names no sequence: there is no sequences/*.yaml with id "tips"`,
    ]);
    expect(r.problems[0]?.fix).toBe('add sequences/tips.yaml in the flows directory (docs/sequences.md)');
  });
});

describe('lintSequences: warnings are reported, the load goes on', () => {
  it('a promotional step due 24 h or more after the subscription (delays add up from the previous step)', () => {
    const text = withSteps(
      [
        '  - { id: a, delay: 0m, kind: promotional, messages: [{ text: A }] }',
        '  - { id: b, delay: 23h, kind: promotional, messages: [{ text: B }] }',
        '  - { id: c, delay: 1h, kind: promotional, messages: [{ text: C }] }',
        '  - { id: d, delay: 2d, from: subscription, kind: promotional, messages: [{ text: D }] }',
        '  - { id: e, delay: 20h, from: subscription, kind: promotional, messages: [{ text: E }] }',
        '',
      ].join('\n'),
    );
    const r = lint(text);
    expect(r.ok).toBe(true);
    const warning = (id: string, after: string): string =>
      `warning ${lineWith(text, `id: ${id},`)}: step "${id}" is promotional and falls due ${after} after the subscription, when the 24-hour window of the event that subscribed the user has closed: it will mostly be skipped as outside_window (it reaches only users who wrote again in the last 24 h)`;
    expect(r.sequence).toEqual([warning('c', '1 d'), warning('d', '2 d')]);
  });

  it('the window warning says how to fix it', () => {
    const text = withSteps('  - { id: late, delay: 25h, kind: promotional, messages: [{ text: Hi }] }\n');
    const r = load(flowsDir({ 'shop.yaml': FLOW, 'sequences/tips.yaml': text }));
    expect(r.problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        line: 5,
        message: expect.stringContaining('falls due 25 h after the subscription'),
        fix: 'make it tagged if it is a non-promotional update about their event, order or account, or marketing_message; or move it inside the first 24 h',
      }),
    ]);
  });

  it('a marketing_message step', () => {
    const text = withSteps('  - id: weekly\n    delay: 1w\n    kind: marketing_message\n    messages: [{ text: Weekly tip }]\n');
    const r = lint(text);
    expect(r.ok).toBe(true);
    expect(r.sequence).toEqual([
      `warning ${lineWith(text, 'kind:')}: step "weekly" is a marketing_message: sent only when MARKETING_AD_ACCOUNT_ID is set (the sequence's campaign is made at Meta on its first send) and only to subscribers with an active Marketing Messages token; the others are skipped as no_token (Meta's paid Marketing Messages API: docs/broadcasts.md)`,
    ]);
  });

  it('a tagged step whose text reads promotional, in its messages or in the node it starts', () => {
    const text = withSteps(
      [
        '  - id: receipt',
        '    delay: 1d',
        '    kind: tagged',
        '    tag: POST_PURCHASE_UPDATE',
        '    messages:',
        '      - text: "Your order shipped. Use code SHIP5 for a discount next time!"',
        '  - id: node',
        '    delay: 1d',
        '    kind: tagged',
        '    tag: POST_PURCHASE_UPDATE',
        '    start: shop/deal',
        '',
      ].join('\n'),
    );
    const flow =
      `${FLOW.replace('fallback:', '  deal:\n    say:\n      - text: "Flash sale on socks"\n    end: true\nfallback:')}`.replace(
        '  - keyword: hi\n',
        '  - keyword: hi\n  - { keyword: socks, goto: deal }\n',
      );
    const r = lint(text, flow);
    expect(r.ok).toBe(true);
    expect(r.sequence).toEqual([
      `warning ${lineWith(text, 'text: "Your order')}: step "receipt" is tagged POST_PURCHASE_UPDATE, but this message contains "discount", which reads as promotional (Meta bans deals, offers, coupons and discounts under every tag)`,
      `warning ${lineWith(text, 'start: shop/deal')}: step "node" is tagged POST_PURCHASE_UPDATE, but node "shop/deal" (say 0) contains "sale", which reads as promotional (Meta bans deals, offers, coupons and discounts under every tag)`,
    ]);
  });

  it('a topic no flow subscribes anyone to (settings.topic counts: START subscribes to it)', () => {
    const text = SEQUENCE.replace('topic: tips', 'topic: running');
    const r = lint(text);
    expect(r.ok).toBe(true);
    expect(r.sequence).toEqual([
      `warning 3: no flow ever subscribes anyone to the topic "running" (no \`subscribe: running\` action, and it is not settings.topic), so every step would be skipped for lack of consent`,
    ]);
    const viaStart = load(flowsDir({ 'shop.yaml': FLOW, 'settings.yaml': 'topic: running\n', 'sequences/tips.yaml': text }));
    expect(viaStart).toEqual({ ok: true, problems: [], sequences: ['tips'] });
    const viaButton = FLOW.replace('      - subscribe: tips\n', '').replace(
      '      - text: "Hello! Tips are on their way."\n',
      '      - text: "Hello! Tips are on their way."\n        quick_replies:\n          - { title: Run tips, actions: [{ subscribe: running }], goto: welcome }\n',
    );
    expect(lint(text, viaButton)).toEqual({ ok: true, sequence: [], flow: [] });
  });

  it('a button payload no flow answers (a postback trigger answers TIPS_MORE)', () => {
    const text = withSteps(
      `  - id: b\n    delay: 0m\n    kind: promotional\n    messages:\n      - text: Tip\n        buttons:\n          - { title: More, payload: TIPS_MORE }\n          - { title: Other, payload: NOBODY }\n`,
    );
    expect(lint(text)).toEqual({
      ok: true,
      sequence: [
        `warning ${lineWith(text, 'NOBODY')}: payload "NOBODY" is answered by no flow: a tap is counted but nothing happens`,
      ],
      flow: [],
    });
  });
});
