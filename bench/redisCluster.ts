import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway Redis Cluster for tests, benches and the soak: N masters with R replicas each, on
 * free loopback ports, from the machine's `redis-server` and `redis-cli --cluster create`, in a
 * temp directory removed by stop(). No Docker, nothing outside 127.0.0.1.
 *
 *   const cluster = await startRedisCluster();          // 3 masters, 3 replicas, ready
 *   process.env.REDIS_CLUSTER_NODES = cluster.nodeList;  // or REDIS_URL = cluster.url
 *   const promoted = await cluster.failover(await cluster.masterOf('{p0}'));  // kill -9, replica takes over
 *   await cluster.restart(killedPort);                  // comes back as a replica
 *   await cluster.stop();
 */
export interface RedisClusterOptions {
  /** Default 3. */
  readonly masters?: number;
  /** Replicas per master, default 1. */
  readonly replicasPerMaster?: number;
  /**
   * cluster-node-timeout (ms): how long a master may be silent before the others fail it over.
   * Default 2000: short enough for a failover test, long enough that a loaded 2-core machine's
   * pauses do not trigger one.
   */
  readonly nodeTimeoutMs?: number;
  /** AOF on every node with this fsync policy; default none (no persistence at all). */
  readonly appendfsync?: 'always' | 'everysec';
  /** How long start, wait and failover may take before they throw; default 60 s. */
  readonly timeoutMs?: number;
}

export interface ClusterNodeInfo {
  readonly port: number;
  readonly id: string;
  readonly role: 'master' | 'replica';
  /** Port of the master a replica follows. */
  readonly masterPort?: number;
  /** Whether the node's own view of itself is failed (killed, not yet forgotten). */
  readonly failed: boolean;
}

export interface RedisCluster {
  /** Every node's port, masters and replicas, in start order. */
  readonly ports: readonly number[];
  /** redis://127.0.0.1:<first port>: any node will do for discovery. */
  readonly url: string;
  /** `127.0.0.1:<port>,…` of every node: the value for REDIS_CLUSTER_NODES. */
  readonly nodeList: string;
  /** The temp directory holding the nodes' config files (and AOF, if on). */
  readonly dir: string;
  /** The cluster's nodes as the first live node sees them now (CLUSTER NODES). */
  nodes(): Promise<ClusterNodeInfo[]>;
  /** Port of the master currently serving `key`'s hash slot. */
  masterOf(key: string): Promise<number>;
  /** SIGKILLs one node (no shutdown save, no goodbye to the others). */
  kill(port: number): Promise<void>;
  /** Starts a killed node again with its config file: it rejoins (a killed master as a replica). */
  restart(port: number): Promise<void>;
  /**
   * Kills a master and waits until one of its replicas has taken its slots and every live node
   * says cluster_state:ok. Returns the promoted replica's port.
   */
  failover(masterPort: number): Promise<number>;
  /**
   * Moves the hash slot of `key` to the master on `toPort`, keys and all, as a resharding does
   * (IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT NODE on every master): meanwhile clients get
   * ASK and TRYAGAIN, then MOVED.
   */
  moveSlot(key: string, toPort: number): Promise<void>;
  /** Waits until every live node says cluster_state:ok, knows all slots, and every live replica is in sync. */
  waitHealthy(): Promise<void>;
  /** Kills every node and removes the directory. */
  stop(): Promise<void>;
}

interface NodeProcess {
  proc: ChildProcess;
  exited: Promise<void>;
}

/** Starts the cluster and resolves once it is healthy (see waitHealthy). */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const count = masters * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), 'talkshop-cluster-'));
  const ports = await freePorts(count * 2);
  const clientPorts = ports.slice(0, count);
  // Bus ports explicit (cluster-port), so they are free too instead of assumed at port + 10000.
  const busPorts = new Map(clientPorts.map((p, i) => [p, ports[count + i] as number]));
  const procs = new Map<number, NodeProcess>();

  const args = (port: number): string[] => {
    const aof = options.appendfsync ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync] : ['--appendonly', 'no'];
    return [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...aof],
      ...['--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
      ...['--cluster-port', String(busPorts.get(port)), '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000)],
      // A replica may always take over, however long it was cut off (the test kills on purpose).
      ...['--cluster-replica-validity-factor', '0', '--logfile', `redis-${port}.log`],
    ];
  };
  const launch = async (port: number): Promise<void> => {
    const proc = spawn('redis-server', args(port), { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    procs.set(port, { proc, exited });
    await until(timeoutMs, `redis-server on ${port} to answer`, async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server on ${port} exited (${dir}/redis-${port}.log)`);
      return (await cli(port, 'PING').catch(() => '')) === 'PONG';
    });
  };
  const kill = async (port: number): Promise<void> => {
    const p = procs.get(port);
    if (!p) return;
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await p.exited;
  };
  const alive = (port: number): boolean => {
    const p = procs.get(port)?.proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  };
  const nodes = async (): Promise<ClusterNodeInfo[]> => {
    for (const port of clientPorts.filter(alive)) {
      const text = await cli(port, 'CLUSTER', 'NODES').catch(() => undefined);
      if (text !== undefined) return parseClusterNodes(text);
    }
    throw new Error('no live cluster node answers CLUSTER NODES');
  };
  const healthy = async (): Promise<boolean> => {
    const live = clientPorts.filter(alive);
    for (const port of live) {
      const info = await cli(port, 'CLUSTER', 'INFO').catch(() => '');
      if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_assigned:16384')) return false;
      const replication = await cli(port, 'INFO', 'replication').catch(() => '');
      if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
    }
    // Every live node agrees on which nodes are masters (a failover's news reaches all).
    const views = await Promise.all(
      live.map(async (port) =>
        parseClusterNodes(await cli(port, 'CLUSTER', 'NODES').catch(() => ''))
          .filter((n) => n.role === 'master' && !n.failed)
          .map((n) => n.port)
          .sort()
          .join(','),
      ),
    );
    return new Set(views).size === 1 && views[0]?.split(',').length === masters;
  };
  const waitHealthy = () => until(timeoutMs, 'the cluster to be healthy', healthy);

  const cluster: RedisCluster = {
    ports: clientPorts,
    url: `redis://127.0.0.1:${clientPorts[0]}`,
    nodeList: clientPorts.map((p) => `127.0.0.1:${p}`).join(','),
    dir,
    nodes,
    masterOf: async (key) => {
      const slot = Number(await cli(clientPorts.find(alive) ?? 0, 'CLUSTER', 'KEYSLOT', key));
      const text = await cli(clientPorts.find(alive) ?? 0, 'CLUSTER', 'NODES');
      const port = masterOfSlot(text, slot);
      if (port === undefined) throw new Error(`no master serves slot ${slot}`);
      return port;
    },
    kill,
    restart: async (port) => {
      await kill(port);
      await launch(port);
    },
    failover: async (masterPort) => {
      const before = await nodes();
      const master = before.find((n) => n.port === masterPort && n.role === 'master');
      if (!master) throw new Error(`${masterPort} is not a master`);
      const followers = before.filter((n) => n.masterPort === masterPort).map((n) => n.port);
      await kill(masterPort);
      let promoted = 0;
      await until(timeoutMs, `a replica of ${masterPort} to take over`, async () => {
        const now = await nodes().catch(() => []);
        promoted = now.find((n) => followers.includes(n.port) && n.role === 'master' && !n.failed)?.port ?? 0;
        return promoted !== 0;
      });
      await waitHealthy();
      return promoted;
    },
    moveSlot: async (key, toPort) => {
      const any = clientPorts.find(alive) ?? 0;
      const slot = await cli(any, 'CLUSTER', 'KEYSLOT', key);
      const fromPort = await cluster.masterOf(key);
      if (fromPort === toPort) return;
      const all = await nodes();
      const idOf = (port: number) => all.find((n) => n.port === port)?.id ?? '';
      await cli(toPort, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', idOf(fromPort));
      await cli(fromPort, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', idOf(toPort));
      for (;;) {
        const keys = (await cli(fromPort, 'CLUSTER', 'GETKEYSINSLOT', slot, '100')).split('\n').filter((k) => k !== '');
        if (keys.length === 0) break;
        await cli(fromPort, 'MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...keys);
      }
      const masters = all.filter((n) => n.role === 'master' && !n.failed).map((n) => n.port);
      for (const port of [toPort, fromPort, ...masters.filter((p) => p !== toPort && p !== fromPort)])
        await cli(port, 'CLUSTER', 'SETSLOT', slot, 'NODE', idOf(toPort));
    },
    waitHealthy,
    stop: async () => {
      await Promise.all(clientPorts.map(kill));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(clientPorts.map(launch));
    const create = ['--cluster', 'create', ...clientPorts.map((p) => `127.0.0.1:${p}`)];
    await run('redis-cli', [...create, '--cluster-replicas', String(replicas), '--cluster-yes'], timeoutMs);
    await waitHealthy();
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Parses CLUSTER NODES: `<id> <ip:port@bus> <flags> <master id|-> …`, one node a line. */
export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  const rows = text
    .split('\n')
    .map((line) => line.trim().split(' '))
    .filter((f) => f.length >= 8);
  const portOf = (address: string) => Number(address.split('@', 1)[0]?.split(':').at(-1));
  const portById = new Map(rows.map((f) => [f[0] as string, portOf(f[1] as string)]));
  return rows.map((f) => {
    const flags = (f[2] as string).split(',');
    const master = f[3] as string;
    return {
      port: portOf(f[1] as string),
      id: f[0] as string,
      role: flags.includes('master') ? 'master' : 'replica',
      ...(master !== '-' && portById.has(master) ? { masterPort: portById.get(master) } : {}),
      failed: flags.includes('fail') || flags.includes('fail?'),
    };
  });
}

/** The live master port serving `slot`, from CLUSTER NODES (a master's line ends with its slot ranges). */
function masterOfSlot(text: string, slot: number): number | undefined {
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    const flags = (f[2] ?? '').split(',');
    if (!flags.includes('master') || flags.includes('fail')) continue;
    for (const range of f.slice(8)) {
      if (range.startsWith('[')) continue; // a slot being migrated or imported
      const [from, to] = range.split('-').map(Number);
      if (from !== undefined && slot >= from && slot <= (to ?? from)) return Number(f[1]?.split('@', 1)[0]?.split(':').at(-1));
    }
  }
  return undefined;
}

/** One redis-cli command against a node; its output trimmed. */
function cli(port: number, ...command: string[]): Promise<string> {
  // Not a terminal, so redis-cli prints raw replies (CLUSTER NODES as its lines).
  return run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...command], 5_000).then((out) => out.trim());
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Polls `check` every 100 ms until it is true; throws after `timeoutMs` naming what it waited for. */
async function until(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `n` distinct ports that were free a moment ago. */
async function freePorts(n: number): Promise<number[]> {
  const found = new Set<number>();
  while (found.size < n) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    found.add(port);
  }
  return [...found];
}
