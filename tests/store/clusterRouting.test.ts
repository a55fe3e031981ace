/**
 * Redis Cluster routing (#14): which key a command is sent by, the node list a cluster node gives,
 * the settings, and, on the suite's cluster, a SCAN walk that visits every master and a user
 * backfill that finds users of every partition.
 */
import { createCluster, ErrorReply } from 'redis';
import { loadConfig } from '../../src/config/config';
import { reindexAudience } from '../../src/audience/reindex';
import { keysFor } from '../../src/store/keys';
import type { OwnedStore } from '../../src/store/ports';
import { clusterNodesOf } from '../../src/store/redis/redisBackends';
import { commandKey, isTransientReply } from '../../src/store/redis/redisConnection';
import { deleteClusterPrefix, describeOnCluster, openClusterStore, TEST_REDIS_CLUSTER_NODES } from '../support/clusterStore';
import { testEnv, uniquePrefix } from '../support/testEnv';

describe('commandKey', () => {
  it.each([
    [['GET', 'a'], 'a'],
    [['HSCAN', 'h', '0', 'COUNT', '10'], 'h'],
    [['XREAD', 'COUNT', '5', 'BLOCK', '100', 'STREAMS', 's', '0-0'], 's'],
    [['xread', 'streams', 's', '0-0'], 's'],
    [['PING'], undefined],
    [['SCAN', '0', 'MATCH', 'x*'], undefined],
    [['WAIT', '1', '100'], undefined],
  ])('%j is routed by %j', (args, key) => {
    expect(commandKey(args)).toBe(key);
  });
});

it('reads the nodes of a CLUSTER NODES reply, leaving out a node that does not know its own address yet', () => {
  const text = [
    'a1 127.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-5460',
    'b2 10.0.0.2:7001@17001,host-b slave a1 0 1 1 connected',
    'c3 :7002@17002 master,noaddr - 0 0 0 disconnected',
    '',
  ].join('\n');
  expect(clusterNodesOf(text)).toEqual(['127.0.0.1:7000', '10.0.0.2:7001']);
});

it('MOVED and ASK that reach the store are outages (retried), like TRYAGAIN and CLUSTERDOWN', () => {
  expect(isTransientReply(new ErrorReply('MOVED 3999 127.0.0.1:6381'))).toBe(true);
  expect(isTransientReply(new ErrorReply('ASK 3999 127.0.0.1:6381'))).toBe(true);
  expect(isTransientReply(new ErrorReply('CROSSSLOT Keys in request do not hash to the same slot'))).toBe(false);
});

describe('settings', () => {
  it('REDIS_CLUSTER_NODES alone means Redis: REDIS_URL becomes its first node', () => {
    const c = loadConfig(testEnv({ REDIS_URL: undefined, REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000' }));
    expect(c.REDIS_CLUSTER_NODES).toEqual(['10.0.0.1:7000', '10.0.0.2:7000']);
    expect(c.REDIS_URL).toBe('redis://10.0.0.1:7000');
    expect(c.REDIS_WAIT_REPLICAS).toBe(0);
  });

  it('REDIS_URL is kept (its credentials serve every node); a malformed node list is refused', () => {
    const c = loadConfig(testEnv({ REDIS_URL: 'rediss://u:p@10.0.0.9:7000', REDIS_CLUSTER_NODES: 'node-a:7000' }));
    expect(c.REDIS_URL).toBe('rediss://u:p@10.0.0.9:7000');
    expect(() => loadConfig(testEnv({ REDIS_CLUSTER_NODES: 'node-a:7000, node-b:7000' }))).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => loadConfig(testEnv({ REDIS_WAIT_REPLICAS: '-1' }))).toThrow(/REDIS_WAIT_REPLICAS/);
  });
});

describeOnCluster('on the suite cluster', () => {
  const prefix = uniquePrefix('routing');
  let store: OwnedStore;
  beforeAll(async () => {
    store = await openClusterStore(prefix);
  });
  afterAll(async () => {
    await store?.close();
    await deleteClusterPrefix(prefix);
  });

  it('the users walk (SCAN) visits every master: users of all 16 partitions, each once or more, in small pages', async () => {
    const users = Array.from({ length: 48 }, (_, i) => ({ partition: i % 16, userKey: `page:u${i}` }));
    // Stored states as another process left them (what the walk looks for is the key).
    const raw = createCluster({ rootNodes: [{ url: `redis://${(TEST_REDIS_CLUSTER_NODES ?? '').split(',')[0]}` }] });
    raw.on('error', () => undefined);
    await raw.connect();
    const keys = keysFor(prefix);
    await Promise.all(users.map((u) => raw.hSet(keys.state(u.partition, u.userKey), { v: '1', s: '{"not":"a state"}' })));
    raw.destroy();
    const found = new Set<string>();
    let pages = 0;
    for (let cursor: string | null = '0'; cursor !== null; pages++) {
      const page = await store.audience!.users(cursor, 5);
      for (const u of page.users) found.add(`${u.partition}|${u.userKey}`);
      cursor = page.next;
    }
    expect(found).toEqual(new Set(users.map((u) => `${u.partition}|${u.userKey}`)));
    expect(pages).toBeGreaterThan(3);
    // The backfill runs on that walk (these states are unreadable: counted, not indexed).
    const counts = await reindexAudience(store.states, store.audience!, { chunk: 7, now: () => Date.now() });
    expect(counts.unreadable).toBeGreaterThanOrEqual(48);
  });
});
