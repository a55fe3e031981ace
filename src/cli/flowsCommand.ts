import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { flowJsonSchema, flowTestJsonSchema, settingsJsonSchema } from '../flows/flowJsonSchema';
import { checkFlowTests, FLOW_TEST_SCHEMA_FILE, FLOW_TESTS_DIR } from '../flows/loadFlowTests';
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

/**
 * `flows check`: every flow linted, and the conversation tests' files validated (not run), so CI
 * catches a broken test file with the flows; the printed lines, and whether it found no error.
 */
export function checkFlowsDir(dir: string): { readonly lines: readonly string[]; readonly ok: boolean } {
  const result = loadFlows(dir);
  const tests = checkFlowTests(join(dir, FLOW_TESTS_DIR));
  const problems = [...(result.ok ? result.warnings : result.problems), ...tests.problems];
  const errors = problems.filter((p) => p.severity === 'error').length;
  const counts = [
    result.ok ? `${result.flowSet.flows.size} flow(s) ok` : '',
    tests.files > 0 || tests.problems.length > 0 ? `${tests.files} test file(s) valid` : '',
    result.ok && errors === 0 ? '' : `${errors} error(s)`,
    `${problems.length - errors} warning(s)`,
  ].filter((c) => c !== '');
  return {
    lines: [...problems.map(formatProblem), `${dir}: ${counts.join(', ')}`],
    ok: errors === 0,
  };
}

/** `talkshop flows check|schema|test`: the linter and the conversation tests for CI, the schemas for editors. */
export function addFlowsCommand(program: Command): void {
  const flows = program.command('flows').description('check flow and sequence files; publish their JSON Schemas');
  flows
    .command('check')
    .argument('[dir]', 'flows directory (default: FLOWS_DIR, from the environment or .env, else ./flows)')
    .description('lint every flow file and validate the test files (flows/tests/); exits 1 when any error is found')
    .action((dirArg: string | undefined) => {
      // Read when the command runs, not when it is declared: .env is loaded just before (main.ts).
      const { lines, ok } = checkFlowsDir(dirArg ?? process.env.FLOWS_DIR ?? './flows');
      process.stdout.write(`${lines.join('\n')}\n`);
      process.exitCode = ok ? 0 : 1;
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
