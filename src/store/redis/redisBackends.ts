import { createClient, createCluster } from 'redis';
import type { Logger } from '../../logger';

export type RedisClient = ReturnType<typeof createClient>;
export type RedisClusterClient = ReturnType<typeof createCluster>;

/** Where Talkshop's Redis is: one server, or a Redis Cluster found from `url` or from `clusterNodes`. */
export interface RedisTarget {
  /** redis[s]://[user:password@]host:port[/db]; a cluster node's URL is detected as such. Its credentials and TLS serve every node. */
  readonly url: string;
  /** host:port of some cluster nodes (REDIS_CLUSTER_NODES): a cluster without asking `url`. */
  readonly clusterNodes?: readonly string[];
}

/**
 * One Redis or one Redis Cluster, as RedisConnection sees it: a command goes to the node serving
 * its first key's hash slot (node-redis follows MOVED and ASK itself), and a walk over every key
 * (SCAN) goes to each master in turn.
 */
export interface Backend {
  readonly cluster: boolean;
  /** Sends a command to the node serving `key` (any node when undefined). */
  send(key: string | undefined, args: string[]): Promise<unknown>;
  /** The masters' addresses in a stable order ('' alone for a single Redis). */
  masters(): string[];
  /** Sends a command to one master (named by masters()). */
  sendTo(master: string, args: string[]): Promise<unknown>;
  /** Another backend to the same Redis, connecting in the background (`connected` settles when up or closed). */
  duplicate(logger: Logger, name: string): { backend: Backend; connected: Promise<unknown> };
  /** A command failed: on a cluster a node may have died or a replica taken over, so the slot map is read again. */
  failed(): void;
  /** Lets the replies in flight arrive (while Redis answers), then drops every socket. */
  close(ping: (send: () => Promise<unknown>) => Promise<unknown>): Promise<void>;
}

interface ClientSettings {
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly name: string;
}

/** Reconnect soon, then at most every second, for ever: a service waits out an outage. */
const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, 1000);

/** Logs a connection's first failure and then every 30th, so an outage is visible without flooding. */
function throttledWarn(s: ClientSettings): (err: Error) => void {
  let failures = 0;
  return (err) => {
    if (failures++ % 30 === 0)
      s.logger.warn({ err: err.message, connection: s.name, failures }, 'redis connection error; reconnecting');
  };
}

function newClient(url: string, s: ClientSettings): RedisClient {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: s.timeoutMs, reconnectStrategy },
  });
  let failures = 0;
  const warn = throttledWarn(s);
  client.on('error', (err: Error) => {
    failures++;
    warn(err);
  });
  client.on('ready', () => {
    if (failures > 0) s.logger.info({ connection: s.name, failures }, 'redis connection restored');
    failures = 0;
  });
  return client;
}

class SingleBackend implements Backend {
  readonly cluster = false;
  constructor(
    private readonly client: RedisClient,
    private readonly url: string,
    private readonly settings: ClientSettings,
  ) {}

  send(_key: string | undefined, args: string[]): Promise<unknown> {
    return this.client.sendCommand(args);
  }

  masters(): string[] {
    return [''];
  }

  sendTo(_master: string, args: string[]): Promise<unknown> {
    return this.client.sendCommand(args);
  }

  duplicate(logger: Logger, name: string): { backend: Backend; connected: Promise<unknown> } {
    const settings = { ...this.settings, logger, name };
    const client = newClient(this.url, settings);
    // Settles once connected, or once close() destroys the client; failures meanwhile are logged.
    return { backend: new SingleBackend(client, this.url, settings), connected: client.connect().catch(() => undefined) };
  }

  failed(): void {}

  async close(ping: (send: () => Promise<unknown>) => Promise<unknown>): Promise<void> {
    if (!this.client.isOpen) return;
    if (this.client.isReady) await ping(() => this.client.sendCommand(['PING'])).catch(() => undefined);
    if (this.client.isOpen) this.client.destroy();
  }
}

/** How often a cluster re-reads its slot map at most while commands fail (a failover takes seconds). */
const REFRESH_EVERY_MS = 250;

class ClusterBackend implements Backend {
  readonly cluster = true;
  private lastRefresh = 0;
  /** Set by close(): a connect still retrying gives up. */
  closed = false;

  constructor(
    private readonly client: RedisClusterClient,
    private readonly settings: ClientSettings,
  ) {}

  send(key: string | undefined, args: string[]): Promise<unknown> {
    return this.client.sendCommand(key, false, args);
  }

  masters(): string[] {
    return this.client.masters.map((m) => m.address).sort();
  }

  async sendTo(master: string, args: string[]): Promise<unknown> {
    const node = this.client.masters.find((m) => m.address === master);
    if (!node) throw new Error(`${master} is no longer a master of the cluster`);
    const client = await this.client.nodeClient(node);
    return client.sendCommand(args);
  }

  duplicate(logger: Logger, name: string): { backend: Backend; connected: Promise<unknown> } {
    // Lazy: a blocking read needs a socket to one node only (the one serving its stream).
    const client = this.client.duplicate({ minimizeConnections: true });
    const settings = { ...this.settings, logger, name };
    watchCluster(client, settings);
    const backend = new ClusterBackend(client, settings);
    return { backend, connected: connectCluster(client, settings, () => backend.closed) };
  }

  /**
   * node-redis re-reads the slot map on MOVED, but a master that died answers nothing: its slots
   * stay mapped to it until someone asks. After a failure the map is read again (from a node that
   * still answers, else the root nodes), at most every REFRESH_EVERY_MS, so once a replica has
   * taken over, the next retry reaches it.
   */
  failed(): void {
    const now = Date.now();
    if (now - this.lastRefresh < REFRESH_EVERY_MS || !this.client.isOpen) return;
    this.lastRefresh = now;
    const masters = this.client.masters;
    const start = masters.find((m) => m.client?.isReady)?.client ?? masters.find((m) => m.client)?.client;
    if (start) void this.client._slots.rediscover(start).catch(() => undefined);
  }

  async close(ping: (send: () => Promise<unknown>) => Promise<unknown>): Promise<void> {
    this.closed = true;
    if (!this.client.isOpen) return;
    const ready = this.client.masters.flatMap((m) => (m.client?.isReady ? [m.client] : []));
    await Promise.all(ready.map((c) => ping(() => c.sendCommand(['PING'])).catch(() => undefined)));
    if (this.client.isOpen) this.client.destroy();
  }
}

function watchCluster(client: RedisClusterClient, s: ClientSettings): void {
  const warn = throttledWarn(s);
  client.on('error', warn);
  client.on('node-error', warn);
}

/** Connects a cluster client, retrying discovery every second until some root node answers (or it is closed). */
async function connectCluster(client: RedisClusterClient, s: ClientSettings, closed = () => false): Promise<void> {
  for (;;) {
    if (closed()) return;
    try {
      await client.connect();
      if (closed()) client.destroy();
      return;
    } catch (err) {
      if (closed() || (err as Error).message === 'Cluster closed') return;
      s.logger.warn({ err: (err as Error).message, connection: s.name }, 'redis cluster not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The cluster client for `nodes`, with the credentials and TLS of `url` on every node. */
function newCluster(url: string, nodes: readonly string[], s: ClientSettings): RedisClusterClient {
  const parsed = new URL(url);
  const scheme = parsed.protocol === 'rediss:' ? 'rediss' : 'redis';
  const auth = parsed.username || parsed.password ? `${parsed.username}:${parsed.password}@` : '';
  const client = createCluster({
    rootNodes: nodes.map((n) => ({ url: `${scheme}://${auth}${n}` })),
    defaults: {
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      disableOfflineQueue: true,
      socket: { connectTimeout: s.timeoutMs, reconnectStrategy, ...(scheme === 'rediss' ? { tls: true as const } : {}) },
    },
  });
  watchCluster(client, s);
  return client;
}

/**
 * Opens the target, waiting for Redis as long as it takes (a service starts once its store
 * answers). A URL is asked whether it is a cluster node (INFO cluster); if so, every node it knows
 * becomes a root node, so the client can find the cluster again whichever node later dies.
 */
export async function openBackend(target: RedisTarget, settings: ClientSettings): Promise<Backend> {
  let nodes = target.clusterNodes ?? [];
  if (nodes.length === 0) {
    const probe = newClient(target.url, settings);
    await probe.connect();
    const info = String(await probe.sendCommand(['INFO', 'cluster']));
    if (!/cluster_enabled:1/.test(info)) return new SingleBackend(probe, target.url, settings);
    const known = clusterNodesOf(String(await probe.sendCommand(['CLUSTER', 'NODES'])));
    probe.destroy();
    nodes = known.length > 0 ? known : [new URL(target.url).host];
  }
  const client = newCluster(target.url, nodes, settings);
  await connectCluster(client, settings);
  return new ClusterBackend(client, settings);
}

/** host:port of every node in a CLUSTER NODES reply (`<id> <ip:port@bus[,hostname]> <flags> …`). */
export function clusterNodesOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(' ')[1]?.split('@', 1)[0] ?? '')
    .filter((address) => /^[^\s:]+:\d+$/.test(address) || /^\[.+\]:\d+$/.test(address));
}
