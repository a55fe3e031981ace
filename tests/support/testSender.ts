import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import type { GraphClient } from '../../src/messenger/graphClient';
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
