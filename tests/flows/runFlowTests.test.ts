import { formatReport, reportJson } from '../../src/flows/formatFlowTests';
import { DEMO_FLOW, DEMO_SETTINGS, ran, runTestsOn } from './flowTestDir';

/** Runs these test files (name → YAML) against the small demo flow. */
const run = (tests: Readonly<Record<string, string>>, settings?: string) =>
  runTestsOn({ 'demo.yaml': DEMO_FLOW }, tests, settings);

const GREET = `  - get_started: true
    bot:
      - { text: "Hello there!", quick_replies: ["Yes", "No"] }
`;

describe('talkshop flows test: the runner', () => {
  it('passes a conversation that goes as written, and counts what its turns checked', () => {
    const report = ran(
      run({
        'yes.yaml': `name: yes
turns:
${GREET}  - tap: "Yes"
    bot: ["Great.", "Nice to meet you."]
    tags: [keen]
    not_tags: [vip]
    fields: { vip: null }
    thread: bot
`,
      }),
    );
    expect(report.results.map((r) => r.failure)).toEqual([undefined]);
    expect(report.ok).toBe(true);
    const demo = report.coverage.flows[0];
    expect(demo?.nodes.missing).toEqual([
      'demo/no_node',
      'demo/vip',
      'demo/promo',
      'demo/ask_order',
      'demo/lookup',
      'demo/found',
      'demo/unknown',
      'demo/down',
      'demo/person',
    ]);
    expect(demo?.quickReplies).toMatchObject({ covered: 1, total: 3 });
    expect(demo?.branches.missing).toEqual(['demo/check → vip', 'demo/lookup ok', 'demo/lookup not_found', 'demo/lookup failed']);
  });

  it('fails a turn with a diff of the conversation naming the turn and its line', () => {
    const report = ran(
      run({
        'bad.yaml': `name: bad
profile: { first_name: Ada }
turns:
  - get_started: true
    bot:
      - { text: "Hello Ada!", quick_replies: ["Yes", "No"] }
  - tap: "Yes"
    bot: ["Great.", "Lovely to meet you."]
`,
      }),
    );
    const [result] = report.results;
    expect(result?.failure).toMatchObject({ turn: 2, line: 7, action: 'customer taps "Yes"' });
    expect(result?.failure?.diff).toEqual([
      { sign: ' ', text: 'bot: "Great."' },
      { sign: '-', text: 'bot: "Lovely to meet you."' },
      { sign: '+', text: 'bot: "Nice to meet you."' },
    ]);
    expect(result?.failure?.problems).toEqual(['expected message 2: the text differs']);
    const printed = formatReport(report).join('\n');
    expect(printed).toContain('turn 2 (');
    expect(printed).toContain('bad.yaml:7): customer taps "Yes"');
    expect(printed).toContain('  - bot: "Lovely to meet you."\n  + bot: "Nice to meet you."');
    expect(report.ok).toBe(false);
  });

  it('shows a message too many as one line, not every later message as different', () => {
    const report = ran(
      run({
        'x.yaml': `name: x\nturns:\n  - say: hi\n    bot: [{ quick_replies: ["Yes", "No"] }]\n  - tap: "Yes"\n    bot: ["Nice to meet you."]\n`,
      }),
    );
    expect(report.results[0]?.failure?.diff).toEqual([
      { sign: '+', text: 'bot: "Great."' },
      { sign: ' ', text: 'bot: "Nice to meet you."' },
    ]);
    expect(report.results[0]?.failure?.problems).toEqual(["the bot's message 1 was not expected"]);
  });

  it('does not count the nodes of a turn that failed', () => {
    const report = ran(run({ 'x.yaml': `name: x\nturns:\n${GREET}  - tap: "Yes"\n    bot: ["Nope."]\n` }));
    expect([...report.results[0]!.reached.nodes]).toEqual(['demo/hello']);
    expect(report.coverage.nodes.covered).toBe(1);
  });

  it('answers requests with the stubs, by node or URL, `once` in order; an unanswered request fails the turn', () => {
    const report = ran(
      run({
        'stubs.yaml': `name: stubs
requests:
  - { node: demo/lookup, outcome: not_found, status: 404, once: true }
  - { url: "https://api.example.com/orders/*", json: { status: shipped } }
turns:
  - say: order
    bot: ["Order number?"]
  - say: "12"
    bot: ["No order 12."]
  - say: order
    bot: ["Order number?"]
  - say: "13"
    bot: ["Order 13: shipped."]
    fields: { state: shipped, order: 13 }
`,
        'unstubbed.yaml': `name: unstubbed
turns:
  - say: order
    bot: ["Order number?"]
  - say: "12"
    bot: ["Order 12: shipped."]
`,
      }),
    );
    expect(report.results[0]?.failure).toBeUndefined();
    expect(report.results[1]?.failure?.problems).toContain(
      'demo/lookup called GET https://api.example.com/orders/12 and no stub answers it: add one under requests: (node: demo/lookup)',
    );
    expect(report.coverage.flows[0]?.branches.missing).not.toContain('demo/lookup ok');
    expect(report.coverage.flows[0]?.branches.missing).toContain('demo/lookup failed');
  });

  it('says what could be tapped when nothing has that title, and that a link sends nothing', () => {
    const report = ran(
      run({
        'a.yaml': `name: a\nturns:\n${GREET}  - tap: Maybe\n    bot: ["?"]\n`,
        'b.yaml': `name: b\nturns:\n${GREET}  - tap: "No"\n    bot: [{ text: "Fine.", buttons: [Site, Person] }]\n  - tap: Site\n    silent: true\n`,
      }),
    );
    expect(report.results[0]?.failure?.problems).toEqual([
      `nothing titled "Maybe" to tap; the bot's last messages offered: Yes | No`,
    ]);
    expect(report.results[1]?.failure?.problems).toEqual(['"Site" is a link: tapping it sends the bot nothing']);
  });

  it('plays handover, a person, the hand-back and the inactivity timeout on the fixed clock', () => {
    const report = ran(
      run({
        'h.yaml': `name: h
turns:
  - say: order
    bot: ["Order number?"]
  - say: many
    bot: [{ contains: "Order number?" }]
  - say: lots
    bot: ["A person will answer."]
    handover: true
    thread: human
  - say: hello?
    silent: true
  - person: { says: "Hi, I'm Sam." }
    silent: true
  - person: hands_back
    bot: [{ contains: "Hi again!" }]
    thread: bot
    handover: false
  - tap: Person
    bot: ["?"]
`,
        't.yaml': `name: t
turns:
  - say: order
    bot: ["Order number?"]
  - say: no
    bot: [{ contains: "Order number?" }]
  - say: never
    bot: ["A person will answer."]
  - wait: 119m
    silent: true
  - wait: 2m
    bot: [{ contains: "Hi again!" }]
    thread: bot
`,
      }),
    );
    expect(report.results[0]?.failure).toMatchObject({ turn: 7 });
    expect(report.results[0]?.failure?.problems[0]).toMatch(/^nothing titled "Person" to tap/);
    expect(report.results[1]?.failure).toBeUndefined();
  });

  it('starts from what `given` sets, and a person can take the conversation without being asked', () => {
    const report = ran(
      run({
        'vip.yaml': `name: vip
given: { fields: { vip: true }, tags: [old-customer] }
turns:
${GREET}  - tap: "Yes"
    bot: ["Great.", "Welcome back, VIP."]
    tags: [old-customer, keen]
  - person: takes_over
    silent: true
    thread: human
  - say: anyone there?
    silent: true
  - fields: { vip: true }
    thread: human
`,
      }),
    );
    expect(report.results[0]?.failure).toBeUndefined();
    expect(report.coverage.flows[0]?.branches.missing).not.toContain('demo/check → vip');
  });

  it('an m.me link and an ad arrive with their ref; consent is checked', () => {
    const report = ran(
      run({
        'ref.yaml': `name: ref\nturns:\n  - ref: promo\n    bot: ["Promo!"]\n    consent: { offers: true, tips: false }\n`,
        'ad.yaml': `name: ad\nturns:\n  - ad: { ref: promo, ad_id: "42" }\n    bot: ["Promo!"]\n  - attachment: image\n    bot: ["Pardon?"]\n`,
      }),
    );
    expect(report.results.map((r) => r.failure)).toEqual([undefined, undefined]);
  });

  it('refuses invalid test files with their line, and runs nothing', () => {
    const report = run({
      'two.yaml': `name: two\nturns:\n  - say: hi\n    tap: "Yes"\n    bot: ["x"]\n`,
      'mute.yaml': `name: mute\nturns:\n  - say: hi\n`,
      'wait.yaml': `name: wait\nturns:\n  - wait: soon\n    silent: true\n`,
    });
    expect(report.kind).toBe('load');
    const printed = formatReport(report).join('\n');
    expect(printed).toMatch(/two\.yaml:3: turns\.0: one action per turn, not say and tap/);
    expect(printed).toMatch(/mute\.yaml:3: turns\.0: say what the bot answers: bot \(its messages\) or silent: true/);
    expect(printed).toMatch(/wait\.yaml:\d: turns\.0\.wait: "soon" is not a wait such as 45s/);
    expect(report.ok).toBe(false);
  });

  it('fails a run whose tests pass but check fewer nodes than tests.min_coverage', () => {
    const tests = { 'yes.yaml': `name: yes\nturns:\n${GREET}  - tap: "Yes"\n    bot: ["Great.", "Nice to meet you."]\n` };
    const low = ran(run(tests, `${DEMO_SETTINGS}tests: { min_coverage: 50 }\n`));
    expect(low.results.map((r) => r.failure)).toEqual([undefined]);
    expect(low).toMatchObject({ ok: false, minCoverage: 50, coverage: { nodes: { covered: 4, total: 13 } } });
    expect(formatReport(low).join('\n')).toContain(
      'coverage 30.7% of nodes is below tests.min_coverage 50% (settings.yaml): add tests for the nodes listed',
    );
    expect(ran(run(tests, `${DEMO_SETTINGS}tests: { min_coverage: 30 }\n`)).ok).toBe(true);
  });

  it('prints JSON with each verdict and the coverage per flow', () => {
    const json = reportJson(ran(run({ 'yes.yaml': `name: yes\nturns:\n${GREET}` }))) as Record<string, unknown>;
    expect(json).toMatchObject({
      ok: true,
      tests: [{ name: 'yes', passed: true }],
      coverage: { nodes: { covered: 1, total: 13 }, flows: [{ flow: 'demo', nodes: { covered: 1, total: 13, percent: 7.6 } }] },
    });
  });
});
