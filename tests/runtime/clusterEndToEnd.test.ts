/**
 * End to end on Redis Cluster (#14): signed webhooks → inboxes spread over the 3 masters of the
 * suite's cluster (tests/support/globalSetup.ts) → two workers reading per partition → outbox
 * senders → the real-HTTP fake Graph API. The same path as handoverAcceptance.test.ts on one Redis:
 * welcome, handover to a person (no bot message while the person owns the thread), the inactivity
 * timer taking the thread back (injected clock), the audience index over every partition, and the
 * owner marker. REDIS_URL names one node; the cluster is detected.
 */
import { textMessageBody } from '../../src/cli/sendEvent';
import type { Config } from '../../src/config/config';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState, type UserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { deleteClusterPrefix, describeOnCluster, TEST_REDIS_CLUSTER_NODES } from '../support/clusterStore';
import { partitionsUpTo, settled } from '../support/settled';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { startTestGraphApi } from '../support/testGraphApi';
import { postSigned, waitFor } from '../support/webhookClient';

const TOKEN = 'admin-token-0123456789';
const MIN = 60_000;
const TIMEOUT = 120 * MIN; // flows/settings.yaml leaves handover_timeout_minutes at its default
const HANDOVER_TEXT = 'Connecting you with a person. They will reply here.';

let clock = 0;
let mids = 0;
let fake: FakeGraphApi;
let config: Config;
let services: RunningService[] = [];

beforeEach(async () => {
  clock = Date.now();
  fake = await startTestGraphApi();
});
afterEach(async () => {
  try {
    await Promise.all(services.map((s) => s.stop()));
    await fake.stop();
  } finally {
    services = [];
    await deleteClusterPrefix(config.REDIS_KEY_PREFIX);
  }
});

/** `count` services (ROLE=all) on the cluster under one key prefix, sharing the injected clock. */
async function boot(count: number, env: Record<string, string> = {}): Promise<void> {
  const url = `redis://${(TEST_REDIS_CLUSTER_NODES ?? '').split(',')[0]}`;
  config = testConfig({ REDIS_URL: url, GRAPH_API_URL: fake.url, ADMIN_TOKEN: TOKEN, ADMIN_PORT: '0', ...env });
  for (let i = 0; i < count; i++) services.push(await startService(config, { now: () => clock }));
}

async function say(psid: string, text: string, svc = services[0]!): Promise<void> {
  const res = await postSigned(svc.port, textMessageBody(TEST_PAGE, psid, text, clock, `m_cl_${++mids}`));
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.body}`);
}
async function stateOf(psid: string): Promise<UserState> {
  const partition = partitionOf(TEST_PAGE, psid, config.INBOX_PARTITIONS);
  return decodeUserState((await services[0]!.store.states.load(partition, userKeyOf(TEST_PAGE, psid))).data);
}
const until = (what: string, check: () => boolean | Promise<boolean>) =>
  waitFor(what, async () => ((await check()) ? true : undefined));
const texts = (psid: string) =>
  fake.sentMessages(psid).map((c) => (c.body as { message: { text?: string } }).message.text ?? '[template]');
const control = (psid: string, edge: string) => fake.calls.filter((c) => c.recipientId === psid && c.path.endsWith(`/${edge}`));
const admin = async (path: string): Promise<unknown> => {
  const res = await fetch(`http://127.0.0.1:${services[0]!.adminPort}/admin${path}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return res.json();
};

describeOnCluster('end to end on a 3-master Redis Cluster', () => {
  it('two workers: 24 users over every partition welcomed, handed over, quiet while a person owns the thread, taken back on the timeout', async () => {
    await boot(2);
    // The first service takes every partition until the second joins and the leases rebalance.
    const bothHold = () => services.every((s) => (s.worker?.heldPartitions.length ?? 0) > 0);
    await until('both workers holding partitions', bothHold);
    const users = Array.from({ length: 24 }, (_, i) => `cl-${i}`);
    // Spread over many partitions (so over every master: see clusterFailover.test.ts for the slot spread).
    expect(new Set(users.map((u) => partitionOf(TEST_PAGE, u, 16))).size).toBeGreaterThanOrEqual(10);
    // Both services take webhooks; each worker holds about half the partitions.
    await Promise.all(users.map((u, i) => say(u, 'hello', services[i % 2])));
    await until('every user welcomed', () => users.every((u) => texts(u).length === 2));
    await Promise.all(users.map((u, i) => say(u, 'talk to a person', services[(i + 1) % 2])));
    await until('every thread with a person', async () =>
      (await Promise.all(users.map(stateOf))).every((s) => s.thread === 'human'),
    );
    for (const u of users) {
      expect(texts(u).at(-1)).toBe(HANDOVER_TEXT);
      expect(control(u, 'pass_thread_control')).toHaveLength(1);
    }
    const sentBefore = fake.sentMessages().length;
    await Promise.all(users.map((u) => say(u, 'are you there?')));
    await settled(services[0]!.store, partitionsUpTo(config.INBOX_PARTITIONS));
    // No bot message while a person owns the thread.
    expect(fake.sentMessages().length).toBe(sentBefore);

    // The inactivity timers (one per user, in each user's partition) fire on whichever worker holds it.
    clock += TIMEOUT + MIN;
    await until('every thread taken back', async () => (await Promise.all(users.map(stateOf))).every((s) => s.thread === 'bot'));
    await until('every thread control taken', () => users.every((u) => control(u, 'take_thread_control').length > 0));
    await settled(services[0]!.store, partitionsUpTo(config.INBOX_PARTITIONS));
    for (const u of users) expect(control(u, 'take_thread_control')).toHaveLength(1);
    expect(bothHold()).toBe(true);

    // The audience index walks every partition, wherever its slot lives.
    const count = (await admin('/audience/count')) as { count?: number };
    expect(count).toMatchObject({ count: users.length });
  });

  it('the owner marker (one key on one master): a second Page on the same prefix is refused', async () => {
    await boot(1);
    await say('cl-owner', 'hello');
    await until('welcomed', () => texts('cl-owner').length === 2);
    const other = await startService(testConfig({ ...configEnv(), MESSENGER_PAGE_ID: 'another-page' })).then(
      (s) => s.stop().then(() => 'started'),
      (err: unknown) => err,
    );
    expect(other).toBeInstanceOf(Error);
    expect((other as Error).message).toContain('another-page');
  });
});

/** The environment of the running config, to start another service on the same prefix. */
function configEnv(): Record<string, string> {
  return {
    REDIS_URL: config.REDIS_URL ?? '',
    REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    GRAPH_API_URL: fake.url,
    ADMIN_PORT: '0',
  };
}
