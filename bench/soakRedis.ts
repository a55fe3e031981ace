/**
 * The soak's Redis: a Redis Cluster started for the run (3 masters, 3 replicas on loopback, from
 * bench/redisCluster.ts) or the single Redis at REDIS_URL. The cluster module is loaded at run
 * time, so the soak also builds and runs where it is absent (SOAK_STORE=single).
 */
import { join } from 'node:path';
import type { SoakKnobs } from './soakConfig';
import { openRedis, redisCpuSeconds } from './processes';

export interface SoakRedis {
  /** For createRedisStore (the soak's own observer store). */
  readonly storeOptions: { readonly url: string };
  /** REDIS_URL (and REDIS_CLUSTER_NODES) for the services. */
  readonly serviceEnv: Record<string, string>;
  /** (cluster) kill -9 one master, wait for its replica to take over, start it again as a replica. */
  readonly failover?: () => Promise<Record<string, unknown>>;
  /** used_memory_rss of each node, MB. */
  rssMb(): Promise<number[]>;
  /** CPU seconds (user + sys) of every node so far. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/** The part of bench/redisCluster.ts the soak uses. */
interface ClusterModule {
  startRedisCluster(options: { masters?: number; replicasPerMaster?: number; appendfsync?: 'always' | 'everysec' }): Promise<{
    readonly ports: readonly number[];
    readonly url: string;
    readonly nodeList: string;
    masterOf(key: string): Promise<number>;
    failover(masterPort: number): Promise<number>;
    restart(port: number): Promise<void>;
    stop(): Promise<void>;
  }>;
}

async function nodeCpuSeconds(url: string): Promise<number> {
  const r = await openRedis(url);
  try {
    return await redisCpuSeconds(r);
  } catch {
    return 0;
  } finally {
    await r.quit().catch(() => undefined);
  }
}

async function nodeRssMb(url: string): Promise<number> {
  const r = await openRedis(url);
  try {
    const info = await r.info('memory');
    return Math.round(Number(/used_memory_rss:(\d+)/.exec(info)?.[1] ?? 0) / 1024 / 102.4) / 10;
  } catch {
    return 0;
  } finally {
    await r.quit().catch(() => undefined);
  }
}

export async function startSoakRedis(k: SoakKnobs, log: (msg: string) => void): Promise<SoakRedis> {
  if (k.store === 'single')
    return {
      storeOptions: { url: k.redisUrl },
      serviceEnv: { REDIS_URL: k.redisUrl },
      rssMb: async () => [await nodeRssMb(k.redisUrl)],
      cpuSeconds: () => nodeCpuSeconds(k.redisUrl),
      stop: async () => undefined,
    };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at run time (see above)
  const mod = require(join(__dirname, 'redisCluster.js')) as ClusterModule;
  const fsync = process.env.SOAK_APPENDFSYNC;
  const cluster = await mod.startRedisCluster({
    masters: 3,
    replicasPerMaster: 1,
    ...(fsync === 'always' || fsync === 'everysec' ? { appendfsync: fsync } : {}),
  });
  log(`Redis Cluster up: ${cluster.nodeList}`);
  let down: number | undefined;
  return {
    storeOptions: { url: cluster.url },
    serviceEnv: { REDIS_URL: cluster.url, REDIS_CLUSTER_NODES: cluster.nodeList },
    failover: async () => {
      const master = await cluster.masterOf('{p0}');
      const started = Date.now();
      const promoted = await cluster.failover(master);
      const failoverMs = Date.now() - started;
      down = master;
      await cluster.restart(master);
      down = undefined;
      return { killedMaster: master, promoted, failoverMs };
    },
    // A node killed and started again restarts its count: the figure is a lower bound then.
    cpuSeconds: async () =>
      (await Promise.all(cluster.ports.filter((p) => p !== down).map((p) => nodeCpuSeconds(`redis://127.0.0.1:${p}`)))).reduce(
        (a, b) => a + b,
        0,
      ),
    rssMb: () => Promise.all(cluster.ports.filter((p) => p !== down).map((p) => nodeRssMb(`redis://127.0.0.1:${p}`))),
    stop: () => cluster.stop(),
  };
}
