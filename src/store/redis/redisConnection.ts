import { ErrorReply } from 'redis';
import { StoreUnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import { Deadlines } from './deadlines';
import type { LuaScript } from './luaScript';
import { openBackend, type Backend, type RedisTarget } from './redisBackends';

export type { RedisTarget } from './redisBackends';
export type RedisReply = unknown;

/**
 * Error replies that mean "this Redis cannot serve you right now", not "your command is wrong":
 * a replica after a failover (READONLY), a restart loading its data set (LOADING), memory full
 * under noeviction (OOM), a script running too long (BUSY), a replica cut off from its master or
 * a cluster mid-failover (MASTERDOWN, CLUSTERDOWN, TRYAGAIN), persistence failing (MISCONF) or too
 * few replicas for a write (NOREPLICAS). A MOVED or ASK that reaches us means node-redis gave up
 * following redirections while slots move (resharding, a failover): the slot map will settle. They pass once the server recovers, so callers must treat
 * them as an outage (retry, answer 503), never as a bug in the item at hand, which would drop work.
 * Matched on the reply's first word (BUSYGROUP, say, is a different and permanent error).
 */
const TRANSIENT_REPLIES: ReadonlySet<string> = new Set([
  'READONLY',
  'LOADING',
  'OOM',
  'BUSY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'MISCONF',
  'NOREPLICAS',
  'MOVED',
  'ASK',
]);

/** True for a Redis error reply that an outage or a failover explains (see TRANSIENT_REPLIES). */
export function isTransientReply(err: unknown): err is ErrorReply {
  return err instanceof ErrorReply && TRANSIENT_REPLIES.has(err.message.split(' ', 1)[0] ?? '');
}

/**
 * One Redis connection with Talkshop's failure rules: commands never queue while disconnected
 * (so the webhook can answer 503 at once instead of hanging), every call has a deadline, and
 * any failure, including an error reply that only says the server cannot serve now (OOM,
 * READONLY, LOADING…), surfaces as StoreUnavailableError. Reconnection runs forever in the
 * background.
 *
 * The Redis may be a Redis Cluster (redisBackends.ts): a command then goes to the master serving
 * its first key, so every command and script here names keys of one hash slot (keys.ts), a walk
 * over all keys runs per master (masters, sendTo), and a failed call makes the client read the
 * slot map again, so a retry after a failover reaches the promoted replica.
 */
export class RedisConnection {
  private readonly deadlines: Deadlines;

  private constructor(
    private readonly backend: Backend,
    private readonly timeoutMs: number,
    /** Until a connection made by duplicate() is first up, commands wait for it (within their deadline). */
    private readonly firstConnect?: Promise<unknown>,
  ) {
    // A tenth of the timeout, between 10 and 100 ms: late by at most that.
    this.deadlines = new Deadlines(Math.min(100, Math.max(10, Math.floor(timeoutMs / 10))));
  }

  /** Connects, waiting for Redis as long as it takes (a service starts once its store answers). */
  static async open(target: RedisTarget | string, timeoutMs: number, logger: Logger, name: string): Promise<RedisConnection> {
    const t = typeof target === 'string' ? { url: target } : target;
    return new RedisConnection(await openBackend(t, { timeoutMs, logger, name }), timeoutMs);
  }

  /** Whether this is a Redis Cluster (a multi-key command must then stay within one hash slot). */
  get isCluster(): boolean {
    return this.backend.cluster;
  }

  /**
   * A second connection to the same Redis (for a blocking read), returned at once and connecting
   * in the background. Not awaited like open(): made while Redis is down, it would wait for ever,
   * and so would its caller and a close() waiting for it. Its commands wait for the first connect
   * within their deadline (StoreUnavailableError after it), and close() stops the connecting.
   */
  async duplicate(logger: Logger, name: string): Promise<RedisConnection> {
    const { backend, connected } = this.backend.duplicate(logger, name);
    return new RedisConnection(backend, this.timeoutMs, connected);
  }

  /**
   * Sends a raw command with a deadline; `extraMs` widens it for blocking commands. On a cluster it
   * goes to the node serving its first key (commandKey); a keyless one to any node.
   */
  async send(operation: string, args: string[], extraMs = 0): Promise<RedisReply> {
    const key = commandKey(args);
    if (this.backend.cluster && (args[0] === 'SCAN' || args[0] === 'KEYS'))
      throw new Error(`${operation}: ${args[0]} on a Redis Cluster covers one node; walk masters() with sendTo()`);
    return this.deadline(operation, () => this.backend.send(key, args), extraMs);
  }

  /** The masters' addresses, in a stable order ('' alone for a single Redis): for a walk over every key. */
  masters(): string[] {
    return this.backend.masters();
  }

  /** Sends a command to one master named by masters() (SCAN on a cluster, PING to each node). */
  async sendTo(master: string, operation: string, args: string[]): Promise<RedisReply> {
    return this.deadline(operation, () => this.backend.sendTo(master, args));
  }

  /** EVALSHA, falling back to EVAL once when the node serving `keys[0]` has not cached the script yet. */
  async run(script: LuaScript, keys: string[], args: string[]): Promise<RedisReply> {
    // Built once, by push (no spread copies): on a busy worker these arrays were 6% of what it allocated.
    const command = ['EVALSHA', script.sha, String(keys.length)];
    for (const k of keys) command.push(k);
    for (const a of args) command.push(a);
    const route = keys[0];
    try {
      return await this.deadline(script.name, () => this.backend.send(route, command));
    } catch (err) {
      if (!(err instanceof ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err;
      // Rare (a node that lost its script cache): the answered command is no longer in use, so reuse it.
      command[0] = 'EVAL';
      command[1] = script.source;
      return this.deadline(script.name, () => this.backend.send(route, command));
    }
  }

  /**
   * WAIT on the connection that wrote `key` (on a cluster, the node serving it): resolves with how
   * many replicas acknowledged every write this connection sent so far, after at most `timeoutMs`.
   */
  async waitReplicas(key: string, replicas: number, timeoutMs: number): Promise<number> {
    const reply = await this.deadline(
      'wait for replicas',
      () => this.backend.send(key, ['WAIT', String(replicas), String(timeoutMs)]),
      timeoutMs,
    );
    return Number(reply);
  }

  /**
   * Closes the connection, in at most the call deadline. QUIT is not used: on a client that is
   * reconnecting (Redis down) node-redis queues it until a reconnect that close() itself has just
   * stopped, so it never answers and a service's stop would hang. Instead a PING (answered only
   * after every command sent before it) lets the replies in flight arrive while Redis answers, and
   * then the socket is destroyed; a client that is not connected is destroyed at once.
   */
  async close(): Promise<void> {
    await this.backend.close((ping) => this.deadline('close', ping));
  }

  private deadline<T>(operation: string, command: () => Promise<T>, extraMs = 0): Promise<T> {
    const ms = this.timeoutMs + extraMs;
    let late = false;
    // A client that cannot send may throw at once: that is a failure like any other.
    const send = (): Promise<T> => {
      try {
        return command();
      } catch (err) {
        return Promise.reject(err);
      }
    };
    // A command that waited for the first connect past its deadline is not sent at all.
    const pending = this.firstConnect
      ? this.firstConnect.then(() => (late ? Promise.reject(new StoreUnavailableError(operation)) : send()))
      : send();
    return new Promise<T>((resolve, reject) => {
      const deadline = this.deadlines.add(Date.now() + ms, () => {
        late = true;
        this.backend.failed();
        reject(new StoreUnavailableError(`${operation} (no answer in ${ms} ms)`));
      });
      pending.then(
        (value) => {
          this.deadlines.remove(deadline);
          resolve(value);
        },
        (err: unknown) => {
          this.deadlines.remove(deadline);
          const failure = storeFailure(operation, err);
          if (failure instanceof StoreUnavailableError) this.backend.failed();
          reject(failure);
        },
      );
    });
  }
}

/** Commands whose arguments name no key: on a cluster any node can answer them. */
const KEYLESS: ReadonlySet<string> = new Set(['PING', 'INFO', 'TIME', 'CLUSTER', 'SCRIPT', 'WAIT', 'SCAN', 'KEYS']);

/** The key a command is routed by on a cluster: the first after STREAMS for XREAD, else the first argument. */
export function commandKey(args: readonly string[]): string | undefined {
  const name = (args[0] ?? '').toUpperCase();
  if (KEYLESS.has(name)) return undefined;
  if (name === 'XREAD' || name === 'XREADGROUP') {
    const at = args.findIndex((a) => a.toUpperCase() === 'STREAMS');
    return at < 0 ? undefined : args[at + 1];
  }
  return args[1];
}

/** What a failed call means: an outage (StoreUnavailableError), or an answer to pass on (NOSCRIPT, WRONGTYPE…). */
function storeFailure(operation: string, err: unknown): Error {
  if (isTransientReply(err))
    return new StoreUnavailableError(`${operation} (Redis answered ${err.message.split(' ', 1)[0]})`, err);
  if (err instanceof StoreUnavailableError || err instanceof ErrorReply) return err;
  return new StoreUnavailableError(operation, err);
}
