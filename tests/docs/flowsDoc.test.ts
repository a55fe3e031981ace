import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { flowSchema, settingsSchema } from '../../src/engine/flowSchema';
import { loadFlows } from '../../src/flows/loadFlows';
import { formatProblem } from '../../src/flows/problem';

/**
 * docs/flows.md must stay true to the code: every ```yaml example is labelled by its first line
 * and checked. `# flow`: a complete flow file (schema, then loaded and linted on its own);
 * `# settings`: a complete settings.yaml; `# fragment`: a part of a flow file (its keys are
 * checked, strictly, against the flow schema).
 */
const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'flows.md'), 'utf8');

interface Block {
  readonly label: string;
  readonly line: number;
  readonly text: string;
}

function yamlBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const m of markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)) {
    const text = m[1] ?? '';
    blocks.push({ label: text.split('\n', 1)[0]?.trim() ?? '', line: markdown.slice(0, m.index).split('\n').length, text });
  }
  return blocks;
}

const blocks = yamlBlocks(doc);
const of = (label: string) => blocks.filter((b) => b.label === label).map((b) => [`line ${b.line}`, b] as const);

function parseYaml(b: Block): unknown {
  const parsed = parseDocument(b.text, { uniqueKeys: true });
  expect(parsed.errors.map((e) => e.message)).toEqual([]);
  return parsed.toJS();
}

function expectValid(schema: z.ZodType, value: unknown): void {
  const result = schema.safeParse(value);
  const issues = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  expect(issues).toEqual([]);
}

describe('docs/flows.md examples', () => {
  it('label every yaml block: # flow, # settings or # fragment', () => {
    expect(blocks.length).toBeGreaterThan(10);
    expect(blocks.length).toBe(doc.match(/```yaml/g)?.length); // none indented or otherwise missed
    const unlabelled = blocks
      // `# conversation test`: a test of flows/tests/ (tests/docs/flowTestsDoc.test.ts runs it on the demo).
      .filter((b) => !['# flow', '# settings', '# fragment', '# conversation test'].includes(b.label))
      .map((b) => `line ${b.line}: ${b.label}`);
    expect(unlabelled).toEqual([]);
    expect(of('# flow').length).toBeGreaterThanOrEqual(1);
    expect(of('# settings').length).toBeGreaterThanOrEqual(1);
  });

  it.each(of('# flow'))('complete flow at %s matches the flow schema', (_where, b) => {
    expectValid(flowSchema, parseYaml(b));
  });

  it.each(of('# settings'))('settings at %s match the settings schema', (_where, b) => {
    expectValid(settingsSchema, parseYaml(b) ?? {});
  });

  it.each(of('# fragment'))('fragment at %s matches the flow schema', (_where, b) => {
    expectValid(flowSchema.partial(), parseYaml(b));
  });

  it.each(of('# flow'))('complete flow at %s loads through loadFlows (schema + linter, no errors)', (_where, b) => {
    const dir = mkdtempSync(join(tmpdir(), 'talkshop-doc-'));
    try {
      const id = String((parseYaml(b) as { id: unknown }).id);
      writeFileSync(join(dir, `${id}.yaml`), b.text);
      const result = loadFlows(dir);
      expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([]);
      expect(result.ok).toBe(true);
      if (result.ok) expect([...result.flowSet.flows.keys()]).toEqual([id]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
