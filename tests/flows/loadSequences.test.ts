import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFlows } from '../../src/flows/loadFlows';
import { loadSequences } from '../../src/flows/loadSequences';
import { flowsDir, FLOW, inFile, lineWith, load, SEQUENCE } from './sequenceFiles';

const SHOP = join(__dirname, '..', '..', 'flows');
const TIPS = readFileSync(join(SHOP, 'sequences', 'running-tips.yaml'), 'utf8');

describe('loadSequences: FLOWS_DIR/sequences/ loaded with the flows', () => {
  it('passes every sequence file (YAML or JSON) into the flow set, parsed', () => {
    const json = JSON.stringify({
      id: 'welcome',
      name: 'Welcome',
      topic: 'tips',
      steps: [{ id: 'one', delay: '1h', kind: 'promotional', messages: [{ text: 'Hi' }] }],
    });
    const dir = flowsDir({ 'shop.yaml': FLOW, 'sequences/tips.yaml': SEQUENCE, 'sequences/welcome.json': json });
    const r = loadFlows(dir);
    if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
    expect(r.warnings).toEqual([]);
    expect([...r.flowSet.sequences.keys()].sort()).toEqual(['tips', 'welcome']);
    const later = r.flowSet.sequences.get('tips')?.steps[1];
    expect(later).toMatchObject({ id: 'later', delay: 7_200_000, from: 'previous', window: { hours: ['09:00', '20:00'] } });
  });

  it('a missing sequences/ directory means no sequences', () => {
    const flow = FLOW.replace('      - start_sequence: tips\n', '');
    const r = load(flowsDir({ 'shop.yaml': flow }));
    expect(r).toEqual({ ok: true, problems: [], sequences: [] });
    expect(loadSequences(flowsDir({ 'shop.yaml': flow })).sequences).toEqual([]);
  });

  it('ignores other files in sequences/ (a README, a backup)', () => {
    const dir = flowsDir({
      'shop.yaml': FLOW,
      'sequences/tips.yaml': SEQUENCE,
      'sequences/README.md': '# notes',
      'sequences/x.bak': '!',
    });
    expect(load(dir)).toEqual({ ok: true, problems: [], sequences: ['tips'] });
  });

  it('a YAML syntax error refuses the load with its file and line', () => {
    const broken = SEQUENCE.replace('    delay: 2h\n', '    delay: [2h\n');
    const r = load(flowsDir({ 'shop.yaml': FLOW, 'sequences/tips.yaml': broken }));
    expect(r.ok).toBe(false);
    const problems = r.problems.filter((p) => p.file.endsWith(join('sequences', 'tips.yaml')));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ severity: 'error', fix: 'fix the YAML/JSON syntax at that line' });
    expect(problems[0]?.line).toBeGreaterThanOrEqual(lineWith(broken, 'delay: [2h'));
  });

  it("the schema's problems name the field, its line and a fix", () => {
    const bad = SEQUENCE.replace('delay: 2h', 'delay: 2 days').replace(
      'kind: promotional\n    messages:\n      - text: "Tip one"',
      'kind: tagged\n    messages:\n      - text: "Tip one"',
    );
    const r = load(flowsDir({ 'shop.yaml': FLOW, 'sequences/tips.yaml': bad }));
    expect(r.ok).toBe(false);
    expect(inFile(r.problems, 'tips.yaml')).toEqual([
      `error ${lineWith(bad, '- id: now')}: steps.0.tag: a tagged step needs a tag: CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE, ACCOUNT_UPDATE`,
      `error ${lineWith(bad, 'delay: 2 days')}: steps.1.delay: "2 days" is not a delay such as 0m, 90m, 1h, 2d or 1w (at most 26w)`,
    ]);
    const delay = r.problems.find((p) => p.message.startsWith('steps.1.delay'));
    expect(delay?.fix).toBe('write a number and a unit: 0m, 90m, 1h, 2d or 1w (at most 26w)');
    const tag = r.problems.find((p) => p.message.startsWith('steps.0.tag'));
    expect(tag?.fix).toMatch(/^use CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE or ACCOUNT_UPDATE/);
  });

  it('a step with both messages and start is refused at the step', () => {
    const both = SEQUENCE.replace('      - text: "Tip two"\n', '      - text: "Tip two"\n    start: shop/welcome\n');
    const r = load(flowsDir({ 'shop.yaml': FLOW, 'sequences/tips.yaml': both }));
    expect(inFile(r.problems, 'tips.yaml')).toEqual([
      `error ${lineWith(both, '- id: later')}: steps.1: a step sends either messages or start (a flow node), exactly one of them`,
    ]);
  });

  it('ids are unique across files: the second file is refused at its id line', () => {
    const copy = `# a copy\n${SEQUENCE}`;
    const r = load(flowsDir({ 'shop.yaml': FLOW, 'sequences/a.yaml': SEQUENCE, 'sequences/b.yaml': copy }));
    expect(r.ok).toBe(false);
    expect(inFile(r.problems, 'b.yaml')).toEqual([
      `error 2: sequence id "tips" is already used by ${r.problems[0]?.file.replace(/b\.yaml$/, 'a.yaml')}`,
    ]);
    expect(inFile(r.problems, 'a.yaml')).toEqual([]);
  });

  it('a start_sequence naming a sequence whose file is invalid reports only that file', () => {
    const bad = SEQUENCE.replace('topic: tips\n', '');
    const r = load(flowsDir({ 'shop.yaml': FLOW, 'sequences/tips.yaml': bad }));
    expect(r.ok).toBe(false);
    expect(inFile(r.problems, 'shop.yaml')).toEqual([]);
    expect(inFile(r.problems, 'tips.yaml')).toEqual([expect.stringMatching(/^error 1: topic: /)]);
  });

  it('the shop demo loads its running-tips sequence; the only warnings are its two marketing_message steps', () => {
    const r = load(SHOP);
    expect(r.problems.every((p) => p.file.endsWith(join('sequences', 'running-tips.yaml')))).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.sequences).toEqual(['running-tips']);
    expect(inFile(r.problems, '').map((p) => p.slice(0, 50))).toEqual([
      `warning ${lineWith(TIPS, 'kind: marketing_message')}: step "weekly-1" is a marketing_message:`.slice(0, 50),
      `warning ${lineWith(TIPS, 'kind: marketing_message', 2)}: step "weekly-2" is a marketing_message:`.slice(0, 50),
    ]);
  });
});
