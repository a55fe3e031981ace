import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowSchema, settingsSchema } from '../../src/engine/flowSchema';
import { lintFlows } from '../../src/flows/lintFlows';
import { backstopMessage, backstopQuestion } from '../../src/flows/lintRender';
import { reporter, type FlowScope, type Path } from '../../src/flows/lintScope';
import { loadFlows } from '../../src/flows/loadFlows';
import type { Problem } from '../../src/flows/problem';

const FIXTURES = join(__dirname, '..', 'fixtures', 'flows');

function load(dir: string): { ok: boolean; problems: readonly Problem[] } {
  const outcome = loadFlows(join(FIXTURES, dir));
  return outcome.ok ? { ok: true, problems: outcome.warnings } : { ok: false, problems: outcome.problems };
}

/** The 1-based line of the `nth` line of a fixture file containing `marker`. */
function lineOf(dir: string, file: string, marker: string, nth = 1): number {
  const lines = readFileSync(join(FIXTURES, dir, file), 'utf8').split('\n');
  let seen = 0;
  const index = lines.findIndex((l) => l.includes(marker) && ++seen === nth);
  if (index < 0) throw new Error(`no line with ${marker} in ${dir}/${file}`);
  return index + 1;
}

interface Want {
  readonly severity?: Problem['severity'];
  readonly file: string;
  readonly line: number;
  readonly node?: string;
  readonly message: string;
}

function expectProblem(problems: readonly Problem[], dir: string, want: Want): void {
  expect(problems).toContainEqual(
    expect.objectContaining({
      severity: want.severity ?? 'error',
      file: expect.stringMatching(new RegExp(`${dir}/${want.file.replace('.', '\\.')}$`)),
      line: want.line,
      ...(want.node ? { node: want.node } : {}),
      message: expect.stringContaining(want.message),
    }),
  );
}

const errors = (problems: readonly Problem[]) => problems.filter((p) => p.severity === 'error');

describe('lintFlows on fixture flows', () => {
  test('a valid set of flows loads with no errors and no warnings', () => {
    const { ok, problems } = load('valid');
    expect(problems).toEqual([]);
    expect(ok).toBe(true);
  });

  test('every problem of every fixture says where, what and how to fix it', () => {
    const dirs = [
      'unknown-goto',
      'unknown-start',
      'unreachable',
      'dead-end',
      'auto-cycle',
      'duplicates',
      'ask',
      'limits',
      'warnings',
    ];
    for (const dir of dirs) {
      const { problems } = load(dir);
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems) {
        expect(p.file).toMatch(/\.yaml$/);
        expect(p.line).toEqual(expect.any(Number));
        expect(p.flow).toEqual(expect.any(String));
        expect(p.message.length).toBeGreaterThan(10);
        expect(p.fix.length).toBeGreaterThan(5);
      }
    }
  });

  test('unknown goto targets, wherever they are written', () => {
    const dir = 'unknown-goto';
    const { ok, problems } = load(dir);
    expect(ok).toBe(false);
    const at = (marker: string) => lineOf(dir, 'flow.yaml', marker);
    expectProblem(problems, dir, { file: 'flow.yaml', line: at('entry: lobby'), message: 'entry goes to "lobby"' });
    expectProblem(problems, dir, { file: 'flow.yaml', line: at('goto: sael'), message: 'trigger goto goes to "sael"' });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: nowhere_action'),
      node: 'welcome',
      message: 'goto action goes to "nowhere_action"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: shoess'),
      node: 'welcome',
      message: 'quick reply goto goes to "shoess"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: ghost'),
      node: 'welcome',
      message: 'goto action of a quick reply goes to "ghost"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: card_target'),
      node: 'menu',
      message: 'card button goto goes to "card_target"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: vip_node'),
      node: 'shoes',
      message: 'branch goto goes to "vip_node"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('else: regular_node'),
      node: 'shoes',
      message: 'branch else goes to "regular_node"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: arm_a'),
      node: 'split',
      message: 'randomize goto goes to "arm_a"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: choice_target'),
      node: 'question',
      message: 'choice goto goes to "choice_target"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('on_fail: fail_target'),
      node: 'question',
      message: 'ask on_fail goes to "fail_target"',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('next: after_target'),
      node: 'question',
      message: 'ask next goes to "after_target"',
    });
    const typo = problems.find((p) => p.message.includes('"shoess"'));
    expect(typo?.fix).toContain('did you mean "shoes"');
  });

  test('an unknown start node', () => {
    const dir = 'unknown-start';
    const { problems } = load(dir);
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: lineOf(dir, 'flow.yaml', 'start: welcom'),
      message: 'start goes to "welcom"',
    });
  });

  test('unreachable nodes, but not nodes reached by a tap or a trigger', () => {
    const dir = 'unreachable';
    const { problems } = load(dir);
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: lineOf(dir, 'flow.yaml', '  orphan:'),
      node: 'orphan',
      message: 'node "orphan" is unreachable',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: lineOf(dir, 'flow.yaml', '  orphan_child:'),
      node: 'orphan_child',
      message: 'is unreachable',
    });
    expect(problems.filter((p) => p.node === 'tapped' || p.node === 'promo')).toEqual([]);
  });

  test('dead ends: no wait, no continuation, no deliberate end (url buttons and email chips do not wait)', () => {
    const dir = 'dead-end';
    const { problems } = load(dir);
    const deadEnd = (node: string) => ({
      file: 'flow.yaml',
      line: lineOf(dir, 'flow.yaml', `  ${node}:`),
      node,
      message: `node "${node}" is a dead end`,
    });
    expectProblem(problems, dir, deadEnd('info'));
    expectProblem(problems, dir, deadEnd('site'));
    expect(problems.find((p) => p.message.includes('dead end'))?.fix).toMatch(/next.*quick replies.*wait: true.*end: true/);
    expect(
      errors(problems)
        .map((p) => p.node)
        .sort(),
    ).toEqual(['info', 'site']);
  });

  test('loops without user input, with their path; quick replies do not break them, an ask does', () => {
    const dir = 'auto-cycle';
    const { problems } = load(dir);
    const at = (marker: string) => lineOf(dir, 'flow.yaml', marker);
    expectProblem(problems, dir, { file: 'flow.yaml', line: at('next: pong'), node: 'ping', message: 'ping → pong → ping' });
    expectProblem(problems, dir, { file: 'flow.yaml', line: at('- goto: selfie'), node: 'selfie', message: 'selfie → selfie' });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('goto: gate_vip'),
      node: 'gate',
      message: 'gate → gate_vip → gate',
    });
    expect(errors(problems)).toHaveLength(3);
    expect(problems.filter((p) => p.node === 'ask_loop' || p.node === 'back')).toEqual([]);
  });

  test('duplicate flow ids, payloads and keywords across files', () => {
    const dir = 'duplicates';
    const { problems } = load(dir);
    const b = (marker: string) => lineOf(dir, 'b.yaml', marker);
    expectProblem(problems, dir, { file: 'b.yaml', line: 1, message: 'flow id "shop" is already used by' });
    expectProblem(problems, dir, {
      file: 'b.yaml',
      line: b('payload: PROMO'),
      node: 'other',
      message: 'payload "PROMO" is also used in node "hello"',
    });
    expectProblem(problems, dir, {
      file: 'b.yaml',
      line: b('payload: GET_STARTED'),
      node: 'other',
      message: 'GET_STARTED is reserved',
    });
    expectProblem(problems, dir, {
      file: 'b.yaml',
      line: b('payload: MENU'),
      node: 'other',
      message: 'payload "MENU" is also the postback trigger',
    });
    expectProblem(problems, dir, {
      file: 'a.yaml',
      line: lineOf(dir, 'a.yaml', 'TS|mine'),
      node: 'hello',
      message: 'reserved prefix TS|',
    });
    expectProblem(problems, dir, {
      severity: 'warning',
      file: 'b.yaml',
      line: b('"Hi!"'),
      message: 'keyword "Hi!" is also a trigger',
    });
    expectProblem(problems, dir, {
      severity: 'warning',
      file: 'b.yaml',
      line: b('[menu, deals]'),
      message: 'global menu keyword',
    });
  });

  test('questions: on_fail, pattern, choices, min/max', () => {
    const dir = 'ask';
    const { problems } = load(dir);
    const at = (marker: string, nth = 1) => lineOf(dir, 'flow.yaml', marker, nth);
    expectProblem(problems, dir, { file: 'flow.yaml', line: at('  no_fail:') + 1, node: 'no_fail', message: 'has no on_fail' });
    expect(problems.find((p) => p.node === 'no_fail')?.fix).toBe('add on_fail: <node> (e.g. a handover node)');
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('capture: regex'),
      node: 'regex_no_pattern',
      message: 'regex has no pattern',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('pattern: "^('),
      node: 'regex_bad',
      message: 'pattern does not compile',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('capture: choice'),
      node: 'choice_empty',
      message: 'choice has no choices',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('choices:'),
      node: 'too_many',
      message: '14 choices on one question; Messenger allows at most 13',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('far too long'),
      node: 'too_many',
      message: 'has 35 characters; Messenger allows at most 20',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('min: 10'),
      node: 'min_max',
      message: 'min 10 is greater than max 1',
    });
    expectProblem(problems, dir, {
      file: 'flow.yaml',
      line: at('choices:', 2),
      node: 'email_chip',
      message: "13 choices plus Messenger's email quick reply",
    });
  });

  test('patterns that can backtrack catastrophically are refused, with the line, the node and a fix', () => {
    const dir = 'redos';
    const { ok, problems } = load(dir);
    const at = (marker: string) => lineOf(dir, 'flow.yaml', marker);
    expect(ok).toBe(false);
    const want = (line: number, node: string | undefined, message: string) =>
      expectProblem(problems, dir, { file: 'flow.yaml', line, node, message });
    want(at('"(a+)+$"'), undefined, 'keyword pattern "(a+)+$" can backtrack catastrophically (exponential');
    want(at('pattern: "^(\\\\w'), 'code', 'capture: regex pattern "^(\\\\w+\\\\s?)+$" can backtrack catastrophically');
    want(at('matches: "^(x|x)*y"'), 'route', 'matches pattern "^(x|x)*y" can backtrack catastrophically');
    for (const p of errors(problems)) expect(p.fix).toContain('remove a quantifier nested in another ((a+)+ → a+)');
    // A safe pattern beside them is not refused: only the three above.
    expect(errors(problems)).toHaveLength(3);
  });

  test("Messenger's limits, explicitly", () => {
    const dir = 'limits';
    const { problems } = load(dir);
    const at = (marker: string) => lineOf(dir, 'flow.yaml', marker);
    const want = (line: number, node: string | undefined, message: string) =>
      expectProblem(problems, dir, { file: 'flow.yaml', line, node, message });
    want(at('"(unclosed"'), undefined, 'keyword pattern "(unclosed" does not compile');
    want(at('quick_replies:'), 'qr_count', '14 quick replies on one message; Messenger allows at most 13');
    want(
      at('Get 10% off your first order'),
      'qr_title',
      'quick reply title "Get 10% off your first order" has 28 characters; Messenger allows at most 20',
    );
    want(at('- cards:'), 'cards_count', '11 cards in one carousel; Messenger allows at most 10');
    want(at('TTTT'), 'card_fields', 'card title "TTTT');
    want(at('SSSS'), 'card_fields', 'card subtitle');
    want(at('Only a title'), 'card_fields', 'has only a title');
    want(at('title: Four buttons') + 1, 'card_fields', '4 buttons on one card; Messenger allows at most 3');
    want(at('text: "Four buttons"') + 1, 'buttons_count', '4 buttons in one message; Messenger allows at most 3');
    want(at('too long", goto: long_text'), 'buttons_count', 'button title "A button title that is too long" has 31 characters');
    want(at('aaaa'), 'long_text', 'has 2001 characters; Messenger allows at most 2000');
    want(at('bbbb'), 'long_text', 'text with buttons "bbbb');
    want(at('http://shop'), 'urls', 'button url "http://shop.example.com" is not an https:// URL');
    want(at('0800 123'), 'urls', 'call number "0800 123"');
    want(at('PPPP'), 'urls', 'payload has 1001 characters; Messenger allows at most 1000');
    want(at('http://images'), 'urls', 'card image_url');
    want(at('images/x.jpg'), 'urls', 'image "images/x.jpg" is not an https:// URL');
    want(at('"[unclosed"'), 'conditions', 'matches pattern does not compile');
    want(at('Mars/Olympus'), 'conditions', 'time zone "Mars/Olympus" is not a valid IANA zone');
    want(at('25:00'), 'conditions', '"25:00" is not a time of day');
    // Code points, not UTF-16 units: twenty emoji fit a quick reply title.
    expect(problems.filter((p) => p.message.includes('👟'))).toEqual([]);
  });

  test('settings: default_flow must name a flow', () => {
    const { problems } = load('settings');
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        file: expect.stringMatching(/settings\/settings\.yaml$/),
        message: 'default_flow "nope" is not a flow',
      }),
    );
    expect(problems.find((p) => p.message.includes('offer_human_button'))).toBeDefined();
  });

  test('warnings: placeholders without default, promotional after opt-in, no escalation, repeated keyword', () => {
    const dir = 'warnings';
    const { ok, problems } = load(dir);
    expect(ok).toBe(true);
    const at = (marker: string) => lineOf(dir, 'flow.yaml', marker);
    const warn = (line: number, node: string | undefined, message: string) =>
      expectProblem(problems, dir, { severity: 'warning', file: 'flow.yaml', line, node, message });
    warn(at('{{coupon}}'), 'welcome', '{{coupon}} has no default');
    warn(at('promotional: true'), 'optin_offer', 'only opt-in triggers lead to');
    expect(problems.find((p) => p.node === 'optin_offer')?.fix).toContain('sequence linter');
    warn(at('fallback:'), undefined, 'has no escalate_after');
    warn(at('keyword: Deals!'), undefined, 'keyword "Deals!" is also a trigger');
    // on_fail is taken when no valid size was given, so welcome_back cannot count on it…
    warn(at('did not work'), 'welcome_back', '{{size}} has no default');
    // …but size_ok only follows a valid answer; {{first_name}} has a default in settings, {{size|unknown}} inline.
    expect(problems.filter((p) => p.node === 'size_ok' || /first_name/.test(p.message))).toEqual([]);
    expect(problems).toHaveLength(5);
  });
});

describe('loader errors are reported with file and line', () => {
  test('a duplicate node key (YAML) and an unknown field (schema)', () => {
    const dir = 'syntax';
    const { ok, problems } = load(dir);
    expect(ok).toBe(false);
    expectProblem(problems, dir, { file: 'dup-key.yaml', line: lineOf(dir, 'dup-key.yaml', '  a:', 2), message: 'unique' });
    // zod names the object holding the unknown key: the say entry.
    expectProblem(problems, dir, {
      file: 'unknown-field.yaml',
      line: lineOf(dir, 'unknown-field.yaml', '- text: "A"'),
      node: 'a',
      message: 'Unrecognized key: "colour"',
    });
  });
});

describe('the render backstop', () => {
  const flow = flowSchema.parse({ id: 'f', start: 'n', nodes: { n: { end: true } } });
  const settings = settingsSchema.parse({});
  function scope(): { scope: FlowScope; problems: Problem[]; paths: Path[] } {
    const problems: Problem[] = [];
    const paths: Path[] = [];
    const locate = (_file: string, path: Path) => (paths.push(path), 7);
    return {
      scope: {
        loaded: { flow, version: 'v', file: 'f.yaml' },
        flow,
        settings,
        report: reporter('f.yaml', 'f', locate, problems),
      },
      problems,
      paths,
    };
  }

  test('validates the rendered message with messageSchema and points back at the say entry', () => {
    const { scope: s, problems, paths } = scope();
    backstopMessage(s, 'n', 1, {
      cards: [
        { title: 'Card', subtitle: 'ok' },
        { title: 'Pic', image_url: 'http://images.example.com/x.jpg' },
      ],
    });
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        node: 'n',
        line: 7,
        message: expect.stringContaining(
          'Messenger would refuse this message: attachment.payload.elements.1.image_url must be an https:// URL',
        ),
      }),
    ]);
    expect(paths).toEqual([['nodes', 'n', 'say', 1, 'cards', 1, 'image_url']]);
  });

  test('validates questions, with the email chip', () => {
    const { scope: s, problems, paths } = scope();
    const choices = Array.from({ length: 13 }, (_, i) => ({ title: `c${i}` }));
    backstopQuestion(s, 'n', {
      text: 'Email?',
      capture: 'email',
      into: 'email',
      retries: 2,
      on_fail: 'n',
      choices: [{ title: '' }, ...choices.slice(1)],
    });
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining('quick_replies.0.title must not be empty')]);
    expect(paths).toEqual([['nodes', 'n', 'ask', 'choices', 0, 'title']]);
  });

  test('a second flow nobody can enter (no trigger, no payload, not the default) is a warning', () => {
    const hidden = flowSchema.parse({
      id: 'hidden',
      start: 'n',
      nodes: { n: { end: true } },
      fallback: { text: '?', escalate_after: 2 },
    });
    const first = flowSchema.parse({
      id: 'first',
      start: 'n',
      nodes: { n: { end: true } },
      fallback: { text: '?', escalate_after: 2 },
    });
    const problems = lintFlows(
      [
        { flow: first, version: 'v', file: 'first.yaml' },
        { flow: hidden, version: 'v', file: 'hidden.yaml' },
      ],
      settings,
      () => 1,
    );
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        file: 'hidden.yaml',
        line: 1,
        message: expect.stringContaining('flow "hidden" can never start'),
      }),
    ]);
  });

  test('lintFlows itself is pure and needs only flows, settings and a locate function', () => {
    const problems = lintFlows([{ flow, version: 'v', file: 'f.yaml' }], settings, () => undefined);
    expect(problems).toEqual([
      expect.objectContaining({
        severity: 'warning',
        file: 'f.yaml',
        flow: 'f',
        message: expect.stringContaining('no fallback'),
      }),
    ]);
  });
});

test('settings problems name the settings file actually used (settings.yml here)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-settings-'));
  writeFileSync(join(dir, 'settings.yml'), 'default_flow: nope\n');
  writeFileSync(
    join(dir, 'hello.yaml'),
    'id: hello\nstart: a\ntriggers: [{ keyword: hi }]\nnodes:\n  a:\n    say: [{ text: hi }]\n    end: true\nfallback: { text: "?", escalate_after: 2 }\n',
  );
  const result = loadFlows(dir);
  const problems = result.ok ? result.warnings : result.problems;
  const p = problems.find((x) => x.message.includes('nope'));
  expect(p?.file.endsWith('settings.yml')).toBe(true);
});

describe('settings: handover', () => {
  function loadWith(settingsYaml: string): readonly Problem[] {
    const dir = mkdtempSync(join(tmpdir(), 'talkshop-handover-'));
    writeFileSync(join(dir, 'settings.yaml'), settingsYaml);
    writeFileSync(
      join(dir, 'hello.yaml'),
      'id: hello\nstart: a\ntriggers: [{ keyword: hi }]\nnodes:\n  a:\n    say: [{ text: hi }]\n    next: menu\n  menu:\n    say: [{ text: Menu }]\n    end: true\nfallback: { text: "?", escalate_after: 2 }\n',
    );
    try {
      const result = loadFlows(dir);
      return result.ok ? result.warnings : result.problems;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const inSettings = { severity: 'error', file: expect.stringMatching(/settings\.yaml$/) };

  test('resume_at must name an existing flow and node, in the settings file under its key', () => {
    expect(loadWith('# settings\nhandover:\n  resume_at: "hello:mneu"\n')).toEqual([
      expect.objectContaining({
        ...inSettings,
        line: 3,
        message: 'handover.resume_at "hello:mneu" names no node "mneu" of flow "hello"',
        fix: expect.stringContaining('did you mean "menu"?'),
      }),
    ]);
    expect(loadWith('handover:\n  resume_at: "shop:menu"\n')).toEqual([
      expect.objectContaining({
        ...inSettings,
        message: 'handover.resume_at "shop:menu" names no flow "shop"',
        fix: expect.stringContaining('hello'),
      }),
    ]);
    expect(loadWith('handover:\n  resume_at: "hello:menu"\n')).toEqual([]);
    expect(loadWith('handover:\n  resume_at: hello\n')).toEqual([]);
  });

  test('business hours that never open are a warning; a bad time zone is a schema error naming the key', () => {
    expect(loadWith('handover:\n  business_hours: { timezone: Europe/Paris, hours: { sat: closed } }\n')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: expect.stringContaining('handover.business_hours.hours opens on no day'),
      }),
    ]);
    expect(loadWith('handover:\n  business_hours: { timezone: Europe/Paris, hours: { sat: "10:00-14:00" } }\n')).toEqual([]);
    expect(loadWith('handover:\n  business_hours: { timezone: Paris, hours: {} }\n')).toEqual([
      expect.objectContaining({
        ...inSettings,
        line: 2,
        message: expect.stringContaining('handover.business_hours.timezone: timezone "Paris" is not a known IANA time zone'),
      }),
    ]);
  });
});

describe('settings: consent (STOP and START)', () => {
  function loadWith(settingsYaml: string): readonly Problem[] {
    const dir = mkdtempSync(join(tmpdir(), 'talkshop-consent-'));
    writeFileSync(join(dir, 'settings.yaml'), settingsYaml);
    writeFileSync(
      join(dir, 'hello.yaml'),
      'id: hello\nstart: a\ntriggers: [{ keyword: hi }]\nnodes:\n  a:\n    say: [{ text: hi }]\n    end: true\nfallback: { text: "?", escalate_after: 2 }\n',
    );
    try {
      const result = loadFlows(dir);
      return result.ok ? result.warnings : result.problems;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("START's quick-reply titles (topic_titles, messages.start_no_thanks) must fit Messenger's 20 characters", () => {
    expect(loadWith('topic_titles:\n  offers: "Offers & deals"\nmessages:\n  start_no_thanks: "No, thanks"\n')).toEqual([]);
    expect(loadWith('topic_titles:\n  offers: "Offers, deals and all the news"\n')).toEqual([
      expect.objectContaining({
        severity: 'error',
        line: 2,
        message: 'topic_titles.offers "Offers, deals and all the news" must have 1 to 20 characters (it is a quick reply)',
      }),
    ]);
    expect(loadWith('messages:\n  start_no_thanks: ""\n')).toEqual([
      expect.objectContaining({ severity: 'error', message: expect.stringContaining('messages.start_no_thanks') }),
    ]);
  });
});
