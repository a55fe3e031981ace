import { createClient, ErrorReply } from 'redis';
import { StoreUnavailableError } from '../../errors';
import type { Logger } from '../../logger';
import type { LuaScript } from './luaScript';

export type RedisClient = ReturnType<typeof createClient>;
export type RedisReply = unknown;

/**
 * One Redis connection with Talkshop's failure rules: commands never queue while disconnected
 * (so the webhook can answer 503 at once instead of hanging), every call has a deadline, and
 * any failure surfaces as StoreUnavailableError. Reconnection runs forever in the background.
 */
export class RedisConnection {
  private constructor(
    readonly client: RedisClient,
    private readonly timeoutMs: number,
  ) {}

  static async open(url: string, timeoutMs: number, logger: Logger, name: string): Promise<RedisConnection> {
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
    await client.connect();
    return new RedisConnection(client, timeoutMs);
  }

  async duplicate(logger: Logger, name: string): Promise<RedisConnection> {
    const url = this.client.options?.url;
    if (!url) throw new StoreUnavailableError('duplicate connection (no url)');
    return RedisConnection.open(url, this.timeoutMs, logger, name);
  }

  /** Sends a raw command with a deadline; `extraMs` widens it for blocking commands. */
  async send(operation: string, args: string[], extraMs = 0): Promise<RedisReply> {
    return this.deadline(operation, this.client.sendCommand(args), extraMs);
  }

  /** EVALSHA, falling back to EVAL once when the server has not cached the script yet. */
  async run(script: LuaScript, keys: string[], args: string[]): Promise<RedisReply> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.deadline(script.name, this.client.sendCommand(['EVALSHA', script.sha, ...tail]));
    } catch (err) {
      if (!(err instanceof ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.deadline(script.name, this.client.sendCommand(['EVAL', script.source, ...tail]));
    }
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.quit().catch(() => this.client.destroy());
  }

  private async deadline<T>(operation: string, pending: Promise<T>, extraMs = 0): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`${operation} (no answer in ${this.timeoutMs + extraMs} ms)`)),
        this.timeoutMs + extraMs,
      );
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      // A Redis error reply (NOSCRIPT, WRONGTYPE…) is an answer, not an outage: pass it on.
      if (err instanceof StoreUnavailableError || err instanceof ErrorReply) throw err;
      throw new StoreUnavailableError(operation, err);
    } finally {
      clearTimeout(timer);
      pending.catch(() => undefined);
    }
  }
}
