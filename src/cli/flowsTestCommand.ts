import type { Command } from 'commander';
import { formatReport, reportJson } from '../flows/formatFlowTests';
import { runFlowTests } from '../flows/runFlowTests';

/** `talkshop flows test [dir]`: the conversation tests of a flows directory, with coverage; exits 1 on any failure. */
export function addFlowsTestCommand(flows: Command): void {
  flows
    .command('test')
    .argument('[dir]', 'flows directory (default: FLOWS_DIR, from the environment or .env, else ./flows); tests in its tests/')
    .option('--tests <dir>', 'read the tests from this directory instead of <dir>/tests')
    .option('--json', 'print the results and the coverage as JSON')
    .description('run the conversation tests (flows/tests/*.yaml) on the engine; exits 1 when one fails or coverage is too low')
    .action((dirArg: string | undefined, opts: { tests?: string; json?: boolean }) => {
      const dir = dirArg ?? process.env.FLOWS_DIR ?? './flows';
      const report = runFlowTests(dir, opts.tests);
      const out = opts.json ? [JSON.stringify(reportJson(report))] : formatReport(report);
      process.stdout.write(`${out.join('\n')}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
}
