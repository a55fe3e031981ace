import pino from 'pino';
import { createCluster } from 'redis';
import type { OwnedStore, Store } from '../../src/store/ports';
import { createRedisStore, type RedisStoreOptions } from '../../src/store/redis/redisStore';
import { uniquePrefix } from './testEnv';

/**
 * The suite's Redis Cluster (3 masters, 3 replicas; tests/support/globalSetup.ts starts it), as
 * `host:port,…`; undefined when TEST_REDIS_CLUSTER=off, and the cluster suites then skip.
 */
export const TEST_REDIS_CLUSTER_NODES = process.env.TEST_REDIS_CLUSTER_NODES;

/** `describe` when the suite has a cluster, `describe.skip` otherwise. */
export const describeOnCluster = TEST_REDIS_CLUSTER_NODES ? describe : describe.skip;

/** A store on the cluster under `keyPrefix` (silent; its URL is the first node, so detection is tested too). */
export function openClusterStore(
  keyPrefix: string,
  options: Partial<RedisStoreOptions> & { nodes?: string } = {},
): Promise<OwnedStore> {
  const nodes = options.nodes ?? TEST_REDIS_CLUSTER_NODES ?? '';
  return createRedisStore({
    url: `redis://${nodes.split(',')[0]}`,
    keyPrefix,
    dedupeTtlSeconds: 60,
    timeoutMs: 5_000,
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

/** Deletes every key under `prefix:` on every master of the cluster (one UNLINK per key: keys live in many slots). */
export async function deleteClusterPrefix(prefix: string, nodes = TEST_REDIS_CLUSTER_NODES ?? ''): Promise<void> {
  const cluster = createCluster({ rootNodes: nodes.split(',').map((n) => ({ url: `redis://${n}` })) });
  cluster.on('error', () => undefined);
  await cluster.connect();
  try {
    for (const master of cluster.masters) {
      const client = await cluster.nodeClient(master);
      for await (const keys of client.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1000 }))
        await Promise.all(keys.map((k) => cluster.unlink(k)));
    }
  } finally {
    cluster.destroy();
  }
}

/**
 * The cluster as a store adapter beside memory and redis (`describe.each`): a fresh store under its
 * own prefix per call, dedupe kept 1 s; none when the suite has no cluster.
 */
export function clusterAdapters(
  name: string,
): Array<[string, () => Promise<{ store: Store; prefix: string; cleanup: () => Promise<void> }>]> {
  if (!TEST_REDIS_CLUSTER_NODES) return [];
  return [
    [
      'redis-cluster',
      async () => {
        const prefix = uniquePrefix(name);
        const store = await openClusterStore(prefix, { dedupeTtlSeconds: 1 });
        return { store, prefix, cleanup: () => deleteClusterPrefix(prefix) };
      },
    ],
  ];
}
