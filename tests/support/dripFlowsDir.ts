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
}

/**
 * A temporary FLOWS_DIR: the default flow `t` (says hi; the keyword "tips" subscribes to the topic
 * `tips`) and the sequence `drip` on that topic with the given steps.
 */
export function dripFlowsDir(options: DripFlowsOptions): string {
  const dir = mkdtempSync(join(tmpdir(), options.prefix));
  mkdirSync(join(dir, 'sequences'));
  writeFileSync(join(dir, 'settings.yaml'), 'default_flow: t\n');
  const actions = options.startsSequence ? '[{ subscribe: tips }, { start_sequence: drip }]' : '[{ subscribe: tips }]';
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
    join(dir, 'sequences', 'drip.yaml'),
    `id: drip
name: Drip
topic: tips
steps:
${options.steps.map((step) => `  - ${step}\n`).join('')}`,
  );
  return dir;
}
