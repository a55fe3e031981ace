import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { flowJsonSchema, settingsJsonSchema } from '../flows/flowJsonSchema';
import { loadFlows } from '../flows/loadFlows';
import { formatProblem } from '../flows/problem';

export const SCHEMA_FILES = { flow: 'schemas/flow.schema.json', settings: 'schemas/settings.schema.json' } as const;

/** `talkshop flows check|schema`: the linter for CI and editors. */
export function addFlowsCommand(program: Command): void {
  const flows = program.command('flows').description('check flow files; publish their JSON Schema');
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
    .option('--write', `write ${SCHEMA_FILES.flow} and ${SCHEMA_FILES.settings} instead of printing the flow schema`)
    .description('print (or write) the JSON Schema of flow files, generated from the zod schema')
    .action((opts: { write?: boolean }) => {
      if (!opts.write) return void process.stdout.write(`${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
      writeFileSync(join(process.cwd(), SCHEMA_FILES.flow), `${JSON.stringify(flowJsonSchema(), null, 2)}\n`);
      writeFileSync(join(process.cwd(), SCHEMA_FILES.settings), `${JSON.stringify(settingsJsonSchema(), null, 2)}\n`);
    });
}
