import { createClient, ErrorReply } from 'redis';
import { StoreUnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import { Deadlines } from './deadlines';
import type { LuaScript } from './luaScript';

export type RedisClient = ReturnType<typeof createClient>;
export type RedisReply = unknown;

/**
 * Error replies that mean "this Redis cannot serve you right now", not "your command is wrong":
 * a replica after a failover (READONLY), a restart loading its data set (LOADING), memory full
 * under noeviction (OOM), a script running too long (BUSY), a replica cut off from its master or
 * a cluster mid-failover (MASTERDOWN, CLUSTERDOWN, TRYAGAIN), persistence failing (MISCONF) or too
 * few replicas for a write (NOREPLICAS). They pass once the server recovers, so callers must treat
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
 */
export class RedisConnection {
  private readonly deadlines: Deadlines;

  private constructor(
    readonly client: RedisClient,
    private readonly timeoutMs: number,
    /** Until a connection made by duplicate() is first up, commands wait for it (within their deadline). */
    private readonly firstConnect?: Promise<unknown>,
  ) {
    // A tenth of the timeout, between 10 and 100 ms: late by at most that.
    this.deadlines = new Deadlines(Math.min(100, Math.max(10, Math.floor(timeoutMs / 10))));
  }

  /** Connects, waiting for Redis as long as it takes (a service starts once its store answers). */
  static async open(url: string, timeoutMs: number, logger: Logger, name: string): Promise<RedisConnection> {
    const client = RedisConnection.createClient(url, timeoutMs, logger, name);
    await client.connect();
    return new RedisConnection(client, timeoutMs);
  }

  private static createClient(url: string, timeoutMs: number, logger: Logger, name: string): RedisClient {
    const client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: timeoutMs, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000) },
    });
    // Log the first failure and then every 30th, so an outage is visible without flooding.
    let failures = 0;
    client.on('error', (err: Error) => {
      if (failures++ % 30 === 0)
        logger.warn({ err: err.message, connection: name, failures }, 'redis connection error; reconnecting');
    });
    client.on('ready', () => {
      if (failures > 0) logger.info({ connection: name, failures }, 'redis connection restored');
      failures = 0;
    });
    return client;
  }

  /**
   * A second connection to the same Redis (for a blocking read), returned at once and connecting
   * in the background. Not awaited like open(): made while Redis is down, it would wait for ever,
   * and so would its caller and a close() waiting for it. Its commands wait for the first connect
   * within their deadline (StoreUnavailableError after it), and close() stops the connecting.
   */
  async duplicate(logger: Logger, name: string): Promise<RedisConnection> {
    const url = this.client.options?.url;
    if (!url) throw new StoreUnavailableError('duplicate connection (no url)');
    const client = RedisConnection.createClient(url, this.timeoutMs, logger, name);
    // Settles once connected, or once close() destroys the client; failures meanwhile are logged.
    const connected = client.connect().catch(() => undefined);
    return new RedisConnection(client, this.timeoutMs, connected);
  }

  /** Sends a raw command with a deadline; `extraMs` widens it for blocking commands. */
  async send(operation: string, args: string[], extraMs = 0): Promise<RedisReply> {
    return this.deadline(operation, () => this.client.sendCommand(args), extraMs);
  }

  /** EVALSHA, falling back to EVAL once when the server has not cached the script yet. */
  async run(script: LuaScript, keys: string[], args: string[]): Promise<RedisReply> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.deadline(script.name, () => this.client.sendCommand(['EVALSHA', script.sha, ...tail]));
    } catch (err) {
      if (!(err instanceof ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.deadline(script.name, () => this.client.sendCommand(['EVAL', script.source, ...tail]));
    }
  }

  /**
   * Closes the connection, in at most the call deadline. QUIT is not used: on a client that is
   * reconnecting (Redis down) node-redis queues it until a reconnect that close() itself has just
   * stopped, so it never answers and a service's stop would hang. Instead a PING (answered only
   * after every command sent before it) lets the replies in flight arrive while Redis answers, and
   * then the socket is destroyed; a client that is not connected is destroyed at once.
   */
  async close(): Promise<void> {
    if (!this.client.isOpen) return;
    if (this.client.isReady) await this.send('close', ['PING']).catch(() => undefined);
    if (this.client.isOpen) this.client.destroy();
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
        reject(new StoreUnavailableError(`${operation} (no answer in ${ms} ms)`));
      });
      pending.then(
        (value) => {
          this.deadlines.remove(deadline);
          resolve(value);
        },
        (err: unknown) => {
          this.deadlines.remove(deadline);
          reject(storeFailure(operation, err));
        },
      );
    });
  }
}

/** What a failed call means: an outage (StoreUnavailableError), or an answer to pass on (NOSCRIPT, WRONGTYPE…). */
function storeFailure(operation: string, err: unknown): Error {
  if (isTransientReply(err))
    return new StoreUnavailableError(`${operation} (Redis answered ${err.message.split(' ', 1)[0]})`, err);
  if (err instanceof StoreUnavailableError || err instanceof ErrorReply) return err;
  return new StoreUnavailableError(operation, err);
}
