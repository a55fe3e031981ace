import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { adAccountIdSchema } from '../config/config';
import { broadcastJsonSchema } from '../broadcasts/broadcastJsonSchema';
import { BROADCAST_SCHEMA_FILE, loadBroadcasts } from '../broadcasts/loadBroadcasts';
import { loadFlows } from '../flows/loadFlows';
import { formatProblem, type Problem } from '../flows/problem';
import { addBroadcastStoreCommands, type BroadcastStoreDeps } from './broadcastStoreCommands';

/**
 * `talkshop broadcast check|schema`: broadcast definitions checked before anything is sent (CI,
 * editors); with the store, `create|list|status|pause|resume|cancel|test` (broadcastStoreCommands.ts).
 */
export function addBroadcastCommand(program: Command, store?: BroadcastStoreDeps): void {
  const broadcast = program
    .command('broadcast')
    .description(
      'check broadcast files and publish their JSON Schema; create, follow, pause, resume, cancel and test broadcasts',
    );
  broadcast
    .command('check')
    .argument('[dir]', 'broadcasts directory (default ./broadcasts)')
    .option('--flows <dir>', 'the flows that start: refers to (default: FLOWS_DIR, from the environment or .env, else ./flows)')
    .description('lint every broadcast file against the flows and settings; exits 1 when any error is found')
    .action((dirArg: string | undefined, opts: { flows?: string }) => {
      // Read when the command runs, not when it is declared: .env is loaded just before (main.ts).
      const dir = dirArg ?? './broadcasts';
      const flowsDir = opts.flows ?? process.env.FLOWS_DIR ?? './flows';
      const out: Problem[] = [];
      const flows = loadFlows(flowsDir);
      if (!flows.ok)
        out.push({
          severity: 'error',
          file: flowsDir,
          message: `the flows do not load (${flows.problems.filter((p) => p.severity === 'error').length} error(s)), so start: and payloads cannot be checked`,
          fix: `run talkshop flows check ${flowsDir} and fix what it reports`,
        });
      const account = adAccountIdSchema.optional().safeParse(process.env.MARKETING_AD_ACCOUNT_ID || undefined);
      if (!account.success)
        out.push({
          severity: 'error',
          file: 'MARKETING_AD_ACCOUNT_ID',
          message: account.error.issues[0]?.message ?? 'invalid',
          fix: 'set it to act_<digits> (the ad account id in Meta Business Settings), or unset it',
        });
      const result = loadBroadcasts(dir, {
        ...(flows.ok ? { flows: flows.flowSet } : {}),
        ...(account.success && account.data !== undefined ? { adAccountId: account.data } : {}),
      });
      out.push(...(result.ok ? result.warnings : result.problems));
      for (const p of out) process.stdout.write(`${formatProblem(p)}\n`);
      const errors = out.filter((p) => p.severity === 'error').length;
      const count = errors === 0 && result.ok ? `${result.broadcasts.length} broadcast(s) ok` : `${errors} error(s)`;
      process.stdout.write(`${dir}: ${count}, ${out.length - errors} warning(s)\n`);
      process.exitCode = errors === 0 ? 0 : 1;
    });
  broadcast
    .command('schema')
    .option('--write', `write ${BROADCAST_SCHEMA_FILE} instead of printing it`)
    .description('print (or write) the JSON Schema of broadcast files, generated from the zod schema')
    .action((opts: { write?: boolean }) => {
      const text = `${JSON.stringify(broadcastJsonSchema(), null, 2)}\n`;
      if (!opts.write) return void process.stdout.write(text);
      writeFileSync(join(process.cwd(), BROADCAST_SCHEMA_FILE), text);
    });
  if (store) addBroadcastStoreCommands(broadcast, store);
}
