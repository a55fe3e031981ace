import { join } from 'node:path';
import { checkFlowsDir } from '../../src/cli/flowsCommand';
import { DEMO_FLOW, DEMO_SETTINGS, flowsDir, removeDir } from './flowTestDir';

/**
 * `talkshop flows check` validates the conversation tests' files too (their schema, without running
 * them), so a broken test file fails the same CI step as a broken flow.
 */

function check(files: Readonly<Record<string, string>>) {
  const dir = flowsDir({ 'demo.yaml': DEMO_FLOW, 'settings.yaml': DEMO_SETTINGS, ...files });
  try {
    return { ...checkFlowsDir(dir), dir };
  } finally {
    removeDir(dir);
  }
}

const GOOD = 'name: good\nturns:\n  - get_started: true\n    bot: [{ contains: Hello }]\n';

describe('talkshop flows check: the tests folder', () => {
  it('reports an invalid test file with its line, and fails', () => {
    const { lines, ok, dir } = check({
      'tests/good.yaml': GOOD,
      'tests/bad.yaml': 'name: bad\nturns:\n  - say: hi\n    bot: ["x"]\n    bots: ["x"]\n',
    });
    expect(ok).toBe(false);
    expect(lines.join('\n')).toMatch(/^error: \S*tests\/bad\.yaml:3: turns\.0: Unrecognized key: "bots"/m);
    expect(lines.at(-1)).toBe(`${dir}: 1 flow(s) ok, 1 test file(s) valid, 1 error(s), 1 warning(s)`);
  });

  it('counts valid test files, and is fine with no tests folder', () => {
    const withTests = check({ 'tests/good.yaml': GOOD });
    // The one warning: the demo flow says nothing of being a bot, with disclosure off.
    expect([withTests.ok, withTests.lines.at(-1)]).toEqual([
      true,
      `${withTests.dir}: 1 flow(s) ok, 1 test file(s) valid, 1 warning(s)`,
    ]);
    const none = check({});
    expect([none.ok, none.lines.at(-1)]).toEqual([true, `${none.dir}: 1 flow(s) ok, 1 warning(s)`]);
  });

  it("passes the demo's flows and tests", () => {
    const { lines, ok } = checkFlowsDir(join(__dirname, '..', '..', 'flows'));
    expect(ok).toBe(true);
    expect(lines.at(-1)).toMatch(/: \d+ flow\(s\) ok, \d+ test file\(s\) valid, \d+ warning\(s\)$/);
  });
});
