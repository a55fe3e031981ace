import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatReport } from '../../src/flows/formatFlowTests';
import { runFlowTests } from '../../src/flows/runFlowTests';
import { copyOfDemo } from '../flows/flowTestDir';

/**
 * docs/flows.md's conversation tests (```yaml blocks whose first line is `# conversation test`) are
 * what a marketer copies: each must be a valid test that passes against the demo in flows/.
 */
const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'flows.md'), 'utf8');
const examples = [...doc.matchAll(/^```yaml\n(# conversation test\n[\s\S]*?)^```$/gm)].map(
  (m) => [`line ${doc.slice(0, m.index).split('\n').length}`, m[1] ?? ''] as const,
);

describe('docs/flows.md conversation tests', () => {
  it('has at least one', () => {
    expect(examples.length).toBeGreaterThanOrEqual(1);
  });

  it.each(examples)('the example at %s passes against the demo', (_where, text) => {
    const dir = copyOfDemo();
    try {
      const tests = join(dir, 'tests');
      rmSync(tests, { recursive: true, force: true });
      mkdirSync(tests);
      writeFileSync(join(tests, 'example.yaml'), text);
      const report = runFlowTests(dir);
      const failed = report.kind === 'run' ? report.results.filter((r) => r.failure) : [];
      expect(report.kind === 'load' || failed.length > 0 ? formatReport(report) : []).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
