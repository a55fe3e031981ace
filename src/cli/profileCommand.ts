import { join } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config/config';
import { loadFlows } from '../flows/loadFlows';
import { formatProblem } from '../flows/problem';
import { createGraphClient, graphClientOptions } from '../messenger/graphClient';
import { formatProfileProblem, MESSENGER_PROFILE_FILE, readProfileFile, unresolvedPayloads } from '../flows/profileFile';
import { formatDiff, ProfileSyncError, syncMessengerProfile } from '../messenger/profileSync';

const out = (line: string) => void process.stdout.write(`${line}\n`);
const err = (line: string) => void process.stderr.write(`${line}\n`);

/**
 * `talkshop profile sync [file]`: validate the Messenger Profile file, then post only what differs
 * from what the Page holds. Exit codes: 0 done (or nothing to do), 2 file refused (nothing sent),
 * 1 Graph refused a call (613 = the 10-calls-per-10-minutes limit; never retried).
 */
export function addProfileCommand(program: Command, config: () => Config): void {
  const profile = program
    .command('profile')
    .description("manage the Page's Messenger Profile (Get Started, greeting, ice breakers, menu)");
  profile
    .command('sync')
    .argument('[file]', `profile file (default: ${MESSENGER_PROFILE_FILE} in FLOWS_DIR)`)
    .option('--dry-run', 'print the difference (+ added, ~ changed, - removed); sends nothing but the GET')
    .option('--prune', 'also DELETE fields that the Page has and the file does not set')
    .description('validate the profile file and post only the fields that differ (at most 3 calls: GET, POST, DELETE)')
    .action(async (fileArg: string | undefined, opts: { dryRun?: boolean; prune?: boolean }) => {
      const cfg = config();
      const file = fileArg ?? join(cfg.FLOWS_DIR, MESSENGER_PROFILE_FILE);
      const shown = file;

      const parsed = readProfileFile(file, shown);
      if (!parsed.ok) {
        for (const p of parsed.problems) err(formatProfileProblem(p));
        err(`${shown}: refused, nothing sent`);
        process.exitCode = 2;
        return;
      }
      // Every payload must do something in the flows the service runs.
      const flows = loadFlows(cfg.FLOWS_DIR);
      if (!flows.ok) {
        for (const p of flows.problems) err(formatProblem(p));
        err(`${shown}: cannot check its payloads: the flows in ${cfg.FLOWS_DIR} do not load; nothing sent`);
        process.exitCode = 2;
        return;
      }
      const dead = unresolvedPayloads(parsed.profile, flows.flowSet);
      if (dead.length > 0) {
        for (const d of dead)
          err(
            `error: ${shown}: ${d.path}: payload "${d.payload}" leads nowhere in ${cfg.FLOWS_DIR} (not GET_STARTED, a hand-written payload, a postback trigger or an existing control)`,
          );
        err(`${shown}: refused, nothing sent`);
        process.exitCode = 2;
        return;
      }

      const client = createGraphClient(graphClientOptions(cfg));
      try {
        const result = await syncMessengerProfile(client, parsed.profile, { dryRun: opts.dryRun, prune: opts.prune });
        const lines = formatDiff(result.diff);
        for (const line of lines) out(line);
        if (lines.length === 0) out('no changes: the Page already has this profile');
        if (opts.dryRun) out(`dry run: ${lines.length} field(s) would change; ${result.calls} call (GET) made`);
        else {
          const did = [
            result.posted.length > 0 && `posted ${result.posted.join(', ')}`,
            result.deleted.length > 0 && `deleted ${result.deleted.join(', ')}`,
          ].filter(Boolean);
          out(
            `${did.length > 0 ? `${did.join('; ')}; ` : ''}${result.calls} Messenger Profile call(s) (limit: 10 per 10 minutes per Page)`,
          );
        }
        process.exitCode = 0;
      } catch (e) {
        if (!(e instanceof ProfileSyncError)) throw e;
        err(`talkshop profile sync: ${e.message}`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    });
}
