import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { flowJsonSchema, flowTestJsonSchema, settingsJsonSchema } from '../flows/flowJsonSchema';
import { FLOW_TEST_SCHEMA_FILE } from '../flows/loadFlowTests';
import { loadFlows } from '../flows/loadFlows';
import { SEQUENCE_SCHEMA_FILE } from '../flows/loadSequences';
import { formatProblem } from '../flows/problem';
import { sequenceJsonSchema } from '../flows/sequenceJsonSchema';
import { addFlowsTestCommand } from './flowsTestCommand';

export const SCHEMA_FILES = {
  flow: 'schemas/flow.schema.json',
  settings: 'schemas/settings.schema.json',
  sequence: SEQUENCE_SCHEMA_FILE,
  flowTest: FLOW_TEST_SCHEMA_FILE,
} as const;

/** `talkshop flows check|schema|test`: the linter and the conversation tests for CI, the schemas for editors. */
export function addFlowsCommand(program: Command): void {
  const flows = program.command('flows').description('check flow and sequence files; publish their JSON Schemas');
  flows
    .command('check')
    .argument('[dir]', 'flows directory (default: FLOWS_DIR, from the environment or .env, else ./flows)')
    .description('lint every flow file; exits 1 when any error is found')
    .action((dirArg: string | undefined) => {
      // Read when the command runs, not when it is declared: .env is loaded just before (main.ts).
      const dir = dirArg ?? process.env.FLOWS_DIR ?? './flows';
      const result = loadFlows(dir);
      const problems = result.ok ? result.warnings : result.problems;
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      const errors = problems.filter((p) => p.severity === 'error').length;
      const count = result.ok ? `${result.flowSet.flows.size} flow(s) ok` : `${errors} error(s)`;
      process.stdout.write(`${dir}: ${count}, ${problems.length - errors} warning(s)\n`);
      process.exitCode = result.ok ? 0 : 1;
    });
  flows
    .command('schema')
    .option(
      '--write',
      `write ${SCHEMA_FILES.flow}, ${SCHEMA_FILES.settings}, ${SCHEMA_FILES.sequence} and ${SCHEMA_FILES.flowTest} instead of printing the flow schema`,
    )
    .description('print (or write) the JSON Schema of flow files, generated from the zod schema')
    .action((opts: { write?: boolean }) => {
      if (!opts.write) return void process.stdout.write(`${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
      writeFileSync(join(process.cwd(), SCHEMA_FILES.flow), `${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
      writeFileSync(join(process.cwd(), SCHEMA_FILES.settings), `${JSON.stringify(settingsJsonSchema(), null, 2)}\n`);
      writeFileSync(join(process.cwd(), SCHEMA_FILES.sequence), `${JSON.stringify(sequenceJsonSchema(), null, 2)}\n`);
      writeFileSync(join(process.cwd(), SCHEMA_FILES.flowTest), `${JSON.stringify(flowTestJsonSchema(), null, 2)}\n`);
    });
  addFlowsTestCommand(flows);
}
