import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService } from '../../src/server';
import { keysFor } from '../../src/store/keys';
import { deletePrefix } from '../support/redisKeys';
import { TEST_PAGE, TEST_REDIS_URL, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

/** The inactivity timer lives in Redis: a worker that restarts (or another one) still fires it. */
it('the handover timeout survives a worker restart and takes the thread back', async () => {
  let clock = Date.now();
  const fake = await startTestGraphApi();
  const config = testConfig({ GRAPH_API_URL: fake.url });
  const redis = createClient({ url: TEST_REDIS_URL });
  await redis.connect();
  const partition = partitionOf(TEST_PAGE, 'r1', 16);
  try {
    const first = await startService(config, { now: () => clock });
    const threadOf = async (store: typeof first.store) =>
      decodeUserState((await store.states.load(partition, userKeyOf(TEST_PAGE, 'r1'))).data).thread;
    await postSigned(first.port, textMessageBody(TEST_PAGE, 'r1', 'talk to a person', clock, 'm_timer_1'));
    await waitFor('state human', async () => ((await threadOf(first.store)) === 'human' ? true : undefined));
    await waitFor('the timer stored', async () =>
      (await redis.zCard(keysFor(config.REDIS_KEY_PREFIX).timers(partition))) === 1 ? true : undefined,
    );
    // The customer keeps writing (standby): each message postpones the timeout; one timer remains.
    for (let i = 1; i <= 3; i++) {
      clock += 60_000;
      await postSigned(
        first.port,
        textMessageBody(TEST_PAGE, 'r1', `still there ${i}?`, clock, `m_timer_s${i}`).replace('"messaging"', '"standby"'),
      );
    }
    const dueAt = clock + 2 * 3600_000;
    await waitFor('the timer postponed', async () =>
      (await redis.zScore(
        keysFor(config.REDIS_KEY_PREFIX).timers(partition),
        `${userKeyOf(TEST_PAGE, 'r1')}|handover_timeout`,
      )) === dueAt
        ? true
        : undefined,
    );
    expect(await redis.zCard(keysFor(config.REDIS_KEY_PREFIX).timers(partition))).toBe(1);
    expect(await redis.hLen(keysFor(config.REDIS_KEY_PREFIX).timerRecords(partition))).toBe(1);
    await first.stop();

    clock = dueAt + 1;
    const second = await startService(config, { now: () => clock });
    try {
      await waitFor('take_thread_control', () =>
        fake.calls.some((c) => c.recipientId === 'r1' && c.path.endsWith('take_thread_control')) ? true : undefined,
      );
      await waitFor('state bot', async () => ((await threadOf(second.store)) === 'bot' ? true : undefined));
      expect(await redis.zCard(keysFor(config.REDIS_KEY_PREFIX).timers(partition))).toBe(0);
    } finally {
      await second.stop();
    }
  } finally {
    await redis.quit();
    await fake.stop();
    await deletePrefix(config.REDIS_KEY_PREFIX);
  }
});
