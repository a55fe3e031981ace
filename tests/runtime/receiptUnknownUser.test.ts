import { createClient } from 'redis';
import type { Config } from '../../src/config/config';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { textMessageBody } from '../../src/cli/sendEvent';
import { startService, type RunningService } from '../../src/server';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { keysFor } from '../../src/store/keys';
import { partitionsUpTo, settled } from '../support/settled';
import { TEST_PAGE, TEST_REDIS_URL, testConfig } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { postSigned } from '../support/webhookClient';

/**
 * A delivery or read receipt for someone the store holds no state for (an erased customer whose
 * receipt arrives late, or who never wrote) is applied without writing a state: no key, hash
 * field or stream entry names them afterwards. Once they write, they get a state as anyone does.
 */
const PSID = 'never-wrote-7c1';
const receipts = (now: number): string =>
  JSON.stringify({
    object: 'page',
    entry: [
      {
        id: TEST_PAGE,
        time: now,
        messaging: [
          { sender: { id: PSID }, recipient: { id: TEST_PAGE }, timestamp: now, delivery: { mids: ['m_x'], watermark: now } },
          { sender: { id: PSID }, recipient: { id: TEST_PAGE }, timestamp: now, read: { watermark: now } },
        ],
      },
    ],
  });

let service: RunningService;
let fake: FakeGraphApi;
let config: Config;
let prefix: string;
const raw = createClient({ url: TEST_REDIS_URL });

beforeAll(async () => {
  await raw.connect();
  fake = await startTestGraphApi();
  config = testConfig({ GRAPH_API_URL: fake.url });
  prefix = config.REDIS_KEY_PREFIX;
  service = await startService(config);
});

afterAll(async () => {
  await service.stop();
  await fake.stop();
  for await (const keys of raw.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) if (keys.length > 0) await raw.del(keys);
  await raw.quit();
});

/** Every place under the prefix that names the PSID: key names, hash fields and values, stream entries. */
async function traces(): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of raw.scanIterator({ MATCH: `${prefix}:*`, COUNT: 500 })) {
    for (const key of keys) {
      if (key.includes(PSID)) found.push(key);
      const type = await raw.type(key);
      const text =
        type === 'hash'
          ? JSON.stringify(await raw.hGetAll(key))
          : type === 'stream'
            ? JSON.stringify(await raw.xRange(key, '-', '+'))
            : type === 'string'
              ? String(await raw.get(key))
              : '';
      if (text.includes(PSID)) found.push(`${key} (${type})`);
    }
  }
  return found;
}

it('receipts for a user with no state leave no trace; their first message starts a state', async () => {
  const partitions = partitionsUpTo(config.INBOX_PARTITIONS);
  const res = await postSigned(service.port, receipts(Date.now()));
  expect(res.status).toBe(200);
  await settled(service.store, partitions);
  const p = partitionOf(TEST_PAGE, PSID, config.INBOX_PARTITIONS);
  expect(await service.store.inbox.cursor(p)).not.toBe('0-0'); // applied, not stuck
  expect(await traces()).toEqual([]);

  await postSigned(service.port, textMessageBody(TEST_PAGE, PSID, 'hello', Date.now()));
  await settled(service.store, partitions);
  expect((await service.store.states.load(p, userKeyOf(TEST_PAGE, PSID))).version).toBe(1);
  expect(await raw.exists(keysFor(prefix).state(p, userKeyOf(TEST_PAGE, PSID)))).toBe(1);
});
