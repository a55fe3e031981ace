import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { flowSchema } from '../../src/engine/flowSchema';
import { loadFlows } from '../../src/flows/loadFlows';
import { formatProblem } from '../../src/flows/problem';

/**
 * docs/sequences.md must stay true to the code: its `# sequence` example loads beside the demo
 * flows (only the linter's marketing_message warning, which the doc explains), its `# fragment`
 * is part of a flow, and the flow fragment is what the demo's shop.yaml really has.
 */
const root = join(__dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'sequences.md'), 'utf8');
const blocks = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');

describe('docs/sequences.md', () => {
  it('labels every yaml block # sequence or # fragment', () => {
    expect(blocks.map((b) => b.split('\n', 1)[0])).toEqual(['# sequence', '# fragment']);
  });

  it('its sequence example loads beside the demo flows, with only the marketing_message warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'talkshop-seqdoc-'));
    cpSync(join(root, 'flows'), dir, { recursive: true });
    writeFileSync(join(dir, 'sequences', 'running-tips.yaml'), blocks[0] ?? '');
    const r = loadFlows(dir);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(r.warnings.map((p) => p.message)).toEqual([expect.stringContaining('step "weekly-1" is a marketing_message')]);
    expect(r.flowSet.sequences.get('running-tips')?.steps.map((s) => s.id)).toEqual(['tip-now', 'tip-later', 'weekly-1']);
  });

  it("its flow fragment matches the flow schema and the demo's tips_optin node", () => {
    const fragment = parse(blocks[1] ?? '') as { nodes: Record<string, { actions: unknown; say: unknown }> };
    expect(flowSchema.partial().safeParse(fragment).success).toBe(true);
    const shop = parse(readFileSync(join(root, 'flows', 'shop.yaml'), 'utf8')) as typeof fragment;
    const node = shop.nodes.tips_optin;
    expect(node?.say).toEqual(fragment.nodes.tips_optin?.say);
    expect(node?.actions).toEqual(expect.arrayContaining(fragment.nodes.tips_optin?.actions as unknown[]));
  });
});
