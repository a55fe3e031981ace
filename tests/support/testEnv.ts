import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/config';

/**
 * The Redis the tests use. Under Jest it is always set: tests/support/globalSetup.ts starts a
 * private redis-server unless TEST_REDIS_URL names another one. The fallback serves the benches,
 * which import these helpers outside Jest.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_SECRET = 'test-app-secret';
export const TEST_PAGE = 'page-1';

/** A key prefix no other test (or run) shares, so suites can run in parallel on one Redis. */
export const uniquePrefix = (label: string): string => `t-${label}-${randomUUID().slice(0, 8)}`;

/** Environment for a test service; Redis unless `REDIS_URL: undefined` is passed. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix('svc'),
    MESSENGER_PAGE_ID: TEST_PAGE,
    MESSENGER_ACCESS_TOKEN: 'test-access-token',
    MESSENGER_APP_ID: 'test-app',
    MESSENGER_APP_SECRET: TEST_SECRET,
    MESSENGER_VERIFY_TOKEN: 'test-verify-token',
    INBOX_PARTITIONS: '16',
    // Nothing listens on the discard port: a test that does not start a fake Graph API gets fast
    // connection errors (its sends stay in the outbox), never a call to the real Meta.
    GRAPH_API_URL: 'http://127.0.0.1:9',
    // Long enough that a loaded machine never loses a lease mid-test (a lost lease means extra
    // rebalancing and re-sends). Tests that wait for a dead worker's lease to expire set a shorter
    // one on that worker only.
    LEASE_TTL_MS: '10000',
    ...overrides,
  };
}

export const testConfig = (overrides: Record<string, string | undefined> = {}): Config => loadConfig(testEnv(overrides));
