import { startService } from '../../src/server';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startTestGraphApi } from '../support/testGraphApi';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { get, waitFor } from '../support/webhookClient';

/**
 * End to end: the fake Graph API's webhooks reach a real Talkshop (in process, memory store) at
 * /webhooks/messenger, pass its signature check and are applied: a Marketing Messages opt-in
 * lands in the user's state with its token, and deliveries and reads are applied as events.
 */

it('the service accepts and applies the fake’s opt-in, delivery and read webhooks', async () => {
  const fake = await startTestGraphApi();
  const config = testConfig({ REDIS_URL: undefined, GRAPH_API_URL: fake.url });
  const service = await startService(config);
  try {
    fake.webhooks.configure({ url: `http://127.0.0.1:${service.port}/webhooks/messenger` });
    const expiresAt = Date.now() + 30 * 24 * 3600_000;
    expect(await fake.webhooks.optin('mm-user', { token: 'nmt-e2e', topic: 'offers', expiresAt })).toBe(200);
    expect(await fake.webhooks.delivered('mm-user', { mids: ['m_x'], watermark: Date.now() })).toBe(200);
    expect(await fake.webhooks.read('mm-user', { watermark: Date.now() })).toBe(200);

    const partition = partitionOf(TEST_PAGE, 'mm-user', config.INBOX_PARTITIONS);
    const state = await waitFor('the opt-in in the state', async () => {
      const stored = await service.store.states.load(partition, userKeyOf(TEST_PAGE, 'mm-user'));
      return JSON.stringify(stored.data ?? null).includes('nmt-e2e') ? stored.data : undefined;
    });
    expect(state).toMatchObject({ marketingTokens: { offers: expect.objectContaining({ token: 'nmt-e2e' }) } });
    await waitFor('the delivery and read applied', async () => {
      const m = (await get(service.port, '/metrics')).body;
      return /events_applied_total\{kind="delivery"\} 1/.test(m) && /events_applied_total\{kind="read"\} 1/.test(m)
        ? true
        : undefined;
    });

    // A webhook signed with another secret is refused by the service.
    fake.webhooks.configure({ url: `http://127.0.0.1:${service.port}/webhooks/messenger`, appSecret: 'not-the-secret' });
    expect(await fake.webhooks.read('mm-user', { watermark: Date.now() })).toBe(403);
  } finally {
    await service.stop();
    await fake.stop();
  }
});
