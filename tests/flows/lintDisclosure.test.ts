import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowSchema, settingsSchema } from '../../src/engine/flowSchema';
import { firstMessage, saysAutomated } from '../../src/flows/lintDisclosure';
import { lintFlows } from '../../src/flows/lintFlows';
import { loadFlows } from '../../src/flows/loadFlows';

/** The linter wants a customer told they talk to a bot: by the disclosure, or by the default flow's first message. */
const flow = (welcome: string) => ({
  id: 'hello',
  start: 'start',
  triggers: [{ keyword: 'hi' }],
  nodes: {
    start: { actions: [{ tag: 'new' }], next: 'welcome' },
    welcome: { say: [{ typing: 500 }, { text: welcome }], next: 'menu' },
    menu: { say: [{ text: 'Pick one.', quick_replies: [{ title: 'Help', goto: 'menu' }] }] },
  },
  fallback: { text: 'Sorry, I did not get that.', escalate_after: 2 },
});

const lint = (welcome: string, disclosure: Record<string, unknown>) =>
  lintFlows(
    [{ flow: flowSchema.parse(flow(welcome)), version: 'v1', file: 'flows/hello.yaml' }],
    settingsSchema.parse({ disclosure }),
    () => undefined,
  ).filter((p) => p.message.includes('disclosure'));

describe('linter: disclosure', () => {
  it("warns when disclosure is off and the default flow's first message does not say it is automated", () => {
    const [problem, ...more] = lint('Hi {{first_name}}! Welcome to the shop.', { enabled: false });
    expect(more).toEqual([]);
    expect(problem).toMatchObject({ severity: 'warning', file: 'flows/settings.yaml' });
    expect(problem?.message).toContain('hello/welcome');
    expect(problem?.fix).toContain('disclosure.enabled: true');
  });

  it('is quiet when the disclosure is on, or the first message says it (in several languages)', () => {
    expect(lint('Hi! Welcome to the shop.', {})).toEqual([]);
    for (const welcome of [
      "Hi! I'm the shop's automated assistant.",
      'Hello, I am a BOT.',
      'Bonjour ! Je suis un assistant virtuel.',
      'Hola, soy un asistente automático.',
      '你好！我是机器人。',
    ])
      expect(lint(welcome, { enabled: false })).toEqual([]);
    expect(saysAutomated('Talk to our robotics team')).toBe(false);
    expect(saysAutomated('Our bottles')).toBe(false);
  });

  it('finds the first message along next from the start node, skipping typing pauses', () => {
    expect(firstMessage(flowSchema.parse(flow('Welcome!')))).toEqual({ node: 'welcome', text: 'Welcome!' });
  });

  it('is reported with its line in settings.yaml when loading a flows folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'talkshop-disclosure-'));
    try {
      writeFileSync(join(dir, 'hello.yaml'), JSON.stringify(flow('Welcome!')));
      writeFileSync(join(dir, 'settings.yaml'), 'default_flow: hello\ndisclosure:\n  enabled: false\n');
      const outcome = loadFlows(dir);
      if (!outcome.ok) throw new Error(JSON.stringify(outcome.problems));
      const problems = outcome.warnings.filter((p) => p.message.includes('disclosure'));
      expect(problems).toMatchObject([{ severity: 'warning', line: 3 }]);
      expect(problems[0]?.file.endsWith('settings.yaml')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
