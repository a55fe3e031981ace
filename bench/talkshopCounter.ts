/**
 * Diagnostic target for the webhook bench (`BENCH_TARGETS=talkshop_counter`): `talkshop serve`
 * exactly as src/cli/main.ts starts it, but with the pre-flow-engine counter handler
 * (src/runtime/handler.ts) instead of the flows in FLOWS_DIR. Its handler then does what the
 * bench's Bottender app does (count the user's messages), which separates Talkshop's platform
 * cost (webhook, inbox, worker, commits) from the flow engine's.
 */
import { loadConfig } from '../src/config/config';
import type { Handler } from '../src/runtime/handler';
import { counterHandler } from '../tests/support/counterHandler';
import { startService } from '../src/server';

async function main(): Promise<void> {
  const service = await startService(loadConfig(process.env), { handler: counterHandler as Handler<unknown> });
  const stop = () =>
    void service.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`talkshop (counter handler) failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
