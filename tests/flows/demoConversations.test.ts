import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { percent } from '../../src/flows/flowCoverage';
import { formatReport } from '../../src/flows/formatFlowTests';
import { runFlowTests } from '../../src/flows/runFlowTests';
import { runBuiltCli } from '../support/runBuiltCli';
import { copyOfDemo, edit, ran, removeDir } from './flowTestDir';

/**
 * The shop demo's conversation tests (flows/tests/) pass on flows/, and catch what the linter
 * cannot: the demo broken on purpose (on a copy) fails with a diff naming the turn and its line.
 */

const root = join(__dirname, '..', '..');

/** The 1-based line of the first line of `file` containing `needle`. */
function lineWith(file: string, needle: string): number {
  const i = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`${file} has no line with ${JSON.stringify(needle)}`);
  return i + 1;
}

/** Breaks a copy of the demo with `change`, runs its tests, and returns the report and the copy's directory. */
function broken(change: (dir: string) => void): { report: ReturnType<typeof ran>; dir: string } {
  const dir = copyOfDemo();
  change(dir);
  return { report: ran(runFlowTests(dir)), dir };
}

const failures = (report: ReturnType<typeof ran>) => report.results.filter((r) => r.failure);

describe('the shop demo under test', () => {
  it('passes its conversation tests, which check over 90% of its nodes', () => {
    const report = ran(runFlowTests(join(root, 'flows')));
    expect(failures(report).map((r) => formatReport({ ...report, results: [r] }).join('\n'))).toEqual([]);
    expect(percent(report.coverage.nodes)).toBeGreaterThan(90);
    expect(report.ok).toBe(true);
  });

  it('fails when the email question changes, at the turn that expects it', () => {
    const { report, dir } = broken((d) => edit(join(d, 'shop.yaml'), "Great! What's your email?", 'Great! Your email, please?'));
    try {
      const failed = failures(report).find((r) => r.file.endsWith('email-capture.yaml'));
      const file = join(dir, 'tests', 'email-capture.yaml');
      expect(failed?.failure).toMatchObject({ turn: 2, line: lineWith(file, 'tap: Get 10% off') });
      const printed = formatReport(report).join('\n');
      expect(printed).toContain(`email-capture.yaml:${lineWith(file, 'tap: Get 10% off')}): customer taps "Get 10% off"`);
      expect(printed).toContain(`- bot: "Great! What's your email? Your 10% code shows right here once you've typed it."`);
      expect(printed).toContain(`+ bot: "Great! Your email, please? Your 10% code shows right here once you've typed it."`);
    } finally {
      removeDir(dir);
    }
  });

  it('fails when the fallback offers a person later', () => {
    const { report, dir } = broken((d) =>
      edit(join(d, 'shop.yaml'), 'escalate_after: 2\n  escalate: offer', 'escalate_after: 3\n  escalate: offer'),
    );
    try {
      const failed = failures(report).find((r) => r.file.endsWith('fallback.yaml'));
      const line = lineWith(join(dir, 'tests', 'fallback.yaml'), 'say: zzzz frobnicate');
      expect(failed?.failure).toMatchObject({ turn: 3, line });
      expect(failed?.failure?.diff).toContainEqual({
        sign: '-',
        text: `bot: "Sorry, I didn't get that. I can help with shoes and sizes, your order, shipping, returns, payment and opening hours. Type MENU to see everything. Would you like to talk to a person?"  [quick replies: Talk to a person]`,
      });
      expect(failed?.failure?.diff).toContainEqual({
        sign: '+',
        text: `bot: "Sorry, I didn't get that. I can help with shoes and sizes, your order, shipping, returns, payment and opening hours. Type MENU to see everything."`,
      });
    } finally {
      removeDir(dir);
    }
  });

  it('fails when a keyword is removed from a trigger', () => {
    const { report, dir } = broken((d) =>
      edit(
        join(d, 'shop.yaml'),
        'keyword: [shop, shoes, "shop shoes", products, catalog]',
        'keyword: [shop, "shop shoes", products, catalog]',
      ),
    );
    try {
      const failed = failures(report).find((r) => r.file.endsWith('sizes-fail.yaml'));
      const line = lineWith(join(dir, 'tests', 'sizes-fail.yaml'), 'say: shoes');
      expect(failed?.failure).toMatchObject({ turn: 2, line, action: 'customer says "shoes"' });
      expect(failed?.failure?.diff).toContainEqual({ sign: '-', text: `bot: "What's your EU shoe size? (35–48)"` });
    } finally {
      removeDir(dir);
    }
  });

  it('talkshop flows test exits 1 with the diff on a broken copy, 0 on an intact one', async () => {
    const dir = copyOfDemo();
    try {
      const intact = await runBuiltCli(['flows', 'test', dir], {}, root);
      expect(intact.stdout).toMatch(/\d+ test\(s\): \d+ passed, 0 failed/);
      expect(intact.code).toBe(0);
      const json = await runBuiltCli(['flows', 'test', dir, '--json'], {}, root);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, coverage: { flows: expect.any(Array) } });
      edit(join(dir, 'shop.yaml'), "Great! What's your email?", 'Great! Your email, please?');
      const brokenRun = await runBuiltCli(['flows', 'test', dir], {}, root);
      expect(brokenRun.stdout).toContain('✗ ');
      expect(brokenRun.stdout).toContain('customer taps "Get 10% off"');
      expect(brokenRun.code).toBe(1);
    } finally {
      removeDir(dir);
    }
  });
});
