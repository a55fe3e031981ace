import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import type { GraphClient } from '../../src/messenger/graphClient';
import type { OutboxSender } from '../../src/runtime/outboxSender';
import type { SenderOptions } from '../../src/runtime/senderOptions';
import type { Store } from '../../src/store/ports';

/**
 * An OutboxSender's options for a test on one partition of Page `p`: silent logs, fresh metrics,
 * real sleeps, a rate far above what a test sends; `over` replaces any of them.
 */
export const testSenderOptions = (store: Store, graph: GraphClient, over: Partial<SenderOptions> = {}): SenderOptions => ({
  store,
  graph,
  pageId: 'p',
  partitions: 1,
  logger: pino({ level: 'silent' }),
  metrics: createMetrics(),
  now: Date.now,
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  rates: { text: 1000, media: 10, burst: 100 },
  ...over,
});

/**
 * Runs `sender` on partition 0 under `token`, looking for new entries every 20 ms at most;
 * `stop` ends the run and waits for it.
 */
export function runOnPartition0(sender: OutboxSender, token: string): { stop: () => Promise<void> } {
  let active = true;
  const running = sender.run(
    0,
    token,
    () => active,
    (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
  );
  return {
    stop: async () => {
      active = false;
      await running;
    },
  };
}
