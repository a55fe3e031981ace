/** The soak's knobs (environment variables), with their defaults; all are printed at the start and in the result. */
export interface SoakKnobs {
  /** cluster: a 3-master, 3-replica Redis Cluster started for the run (bench/redisCluster.ts); single: REDIS_URL. */
  readonly store: 'cluster' | 'single';
  readonly redisUrl: string;
  readonly seconds: number;
  /** Events offered per second (every kind: customer actions, receipts, echoes, Done, redeliveries). */
  readonly rate: number;
  readonly webs: number;
  readonly workers: number;
  readonly partitions: number;
  /** kill -9 of a random worker every this many seconds (0: never); it is started again at once. */
  readonly killEverySeconds: number;
  /** (cluster) when one master is killed so its replica takes over; 0: never. */
  readonly failoverAtSeconds: number;
  readonly leaseTtlMs: number;
  /** (cluster) REDIS_WAIT_REPLICAS of the services: replicas holding a webhook's events before its 200. */
  readonly waitReplicas: number;
  readonly sendRate: number;
  readonly sendBurst: number;
  readonly personShare: number;
  readonly redeliverShare: number;
  /** Subscribers seeded before the start, whom the broadcast (created at broadcastAtSeconds) reaches. */
  readonly broadcastUsers: number;
  readonly broadcastAtSeconds: number;
  readonly maxInFlight: number;
  readonly replyTimeoutMs: number;
  /** How long to wait after the load for everything in flight to be applied and sent. */
  readonly drainSeconds: number;
  /** Raise the rate step by step until the inbox lag grows without bound, instead of one fixed-rate run. */
  readonly findCeiling: boolean;
  readonly ceilingFrom: number;
  readonly ceilingFactor: number;
  readonly ceilingStepSeconds: number;
  readonly ceilingMax: number;
  readonly seed: number;
}

const num = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, not ${raw}`);
  return n;
};

export function readSoakKnobs(env: NodeJS.ProcessEnv, clusterAvailable: boolean): SoakKnobs {
  const store = env.SOAK_STORE ?? (clusterAvailable ? 'cluster' : 'single');
  if (store !== 'cluster' && store !== 'single') throw new Error(`SOAK_STORE must be cluster or single, not ${store}`);
  const findCeiling = env.SOAK_FIND_CEILING === '1';
  return {
    store,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    seconds: num(env, 'SOAK_SECONDS', 600),
    rate: num(env, 'SOAK_RATE', 300),
    webs: num(env, 'SOAK_WEBS', 2),
    workers: num(env, 'SOAK_WORKERS', 3),
    partitions: num(env, 'SOAK_PARTITIONS', 32),
    killEverySeconds: num(env, 'SOAK_KILL_EVERY_S', findCeiling ? 0 : 30),
    failoverAtSeconds: num(env, 'SOAK_FAILOVER_AT_S', findCeiling ? 0 : 300),
    leaseTtlMs: num(env, 'SOAK_LEASE_TTL_MS', 5000),
    waitReplicas: num(env, 'SOAK_WAIT_REPLICAS', store === 'cluster' ? 1 : 0),
    sendRate: num(env, 'SOAK_SEND_RATE', 1000),
    sendBurst: num(env, 'SOAK_SEND_BURST', 100),
    personShare: num(env, 'SOAK_PERSON_SHARE', 0.15),
    redeliverShare: num(env, 'SOAK_REDELIVER_SHARE', 0.05),
    broadcastUsers: num(env, 'SOAK_BROADCAST_USERS', 30_000),
    broadcastAtSeconds: num(env, 'SOAK_BROADCAST_AT_S', 60),
    maxInFlight: num(env, 'SOAK_MAX_IN_FLIGHT', 512),
    replyTimeoutMs: num(env, 'SOAK_REPLY_TIMEOUT_MS', 60_000),
    drainSeconds: num(env, 'SOAK_DRAIN_SECONDS', 300),
    findCeiling,
    ceilingFrom: num(env, 'SOAK_CEILING_FROM', 300),
    ceilingFactor: num(env, 'SOAK_CEILING_FACTOR', 1.3),
    ceilingStepSeconds: num(env, 'SOAK_CEILING_STEP_S', 60),
    ceilingMax: num(env, 'SOAK_CEILING_MAX', 6000),
    seed: num(env, 'SOAK_SEED', Date.now() % 1_000_000),
  };
}
