import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DripFlowsOptions {
  /** The temp directory's name prefix (tells the tests' leftovers apart). */
  readonly prefix: string;
  /** Whether the flow's `tips` keyword also starts the sequence, or only subscribes to its topic. */
  readonly startsSequence: boolean;
  /** The sequence's steps, one YAML flow mapping each (`{ id: s0, delay: 0m, ... }`). */
  readonly steps: readonly string[];
  /** The sequence's id and name: `drip`, `Drip` unless given. */
  readonly sequenceId?: string;
  readonly sequenceName?: string;
  /** The topic the keyword subscribes to and the sequence runs on: `tips` unless given. */
  readonly topic?: string;
}

/**
 * A temporary FLOWS_DIR: the default flow `t` (says hi; the keyword "tips" subscribes to the topic)
 * and the sequence on that topic with the given steps.
 */
export function dripFlowsDir(options: DripFlowsOptions): string {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  mkdirSync(join(dir, 'sequences'));
  writeFileSync(join(dir, 'settings.yaml'), 'default_flow: t\n');
  const { sequenceId = 'drip', sequenceName = 'Drip', topic = 'tips' } = options;
  const actions = options.startsSequence
    ? `[{ subscribe: ${topic} }, { start_sequence: ${sequenceId} }]`
    : `[{ subscribe: ${topic} }]`;
  writeFileSync(
    join(dir, 't.yaml'),
    `id: t
start: hello
triggers:
  - keyword: [tips]
    goto: join
fallback: { text: "Sorry?" }
nodes:
  hello:
    say: [{ text: "Hi" }]
    end: true
  join:
    actions: ${actions}
    say: [{ text: "Subscribed" }]
    end: true
`,
  );
  writeFileSync(
    join(dir, 'sequences', `${sequenceId}.yaml`),
    `id: ${sequenceId}
name: ${sequenceName}
topic: ${topic}
steps:
${options.steps.map((step) => `  - ${step}\n`).join('')}`,
  );
  return dir;
}
