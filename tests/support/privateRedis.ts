import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A port that was free a moment ago (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  readonly proc: ChildProcess;
  /** SIGKILLs the server and resolves once it has exited. */
  kill(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Working directory of the server (it writes nothing there: no persistence); default: the current one. */
  readonly dir?: string;
  /** How long to wait for "Ready to accept connections"; the wait ends as soon as the line comes. */
  readonly timeoutMs?: number;
}

/** What to tell someone whose machine has no redis-server. */
export const REDIS_SERVER_MISSING =
  'redis-server was not found on PATH. The tests start their own private Redis 7 with it: install it ' +
  '(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or set ' +
  'TEST_REDIS_URL=redis://host:port to run the tests against a Redis you already have.';

/**
 * Starts a throwaway `redis-server` (no persistence, loopback only) on the given port and
 * resolves once it accepts connections. Never touches the machine's Redis.
 */
export function startPrivateRedis(port: number, options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dirArgs = options.dir ? ['--dir', options.dir] : [];
  const args = ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', ...dirArgs];
  const proc = spawn('redis-server', args, { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`redis-server on ${port} not ready in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    proc.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? Object.assign(new Error(REDIS_SERVER_MISSING), { code: 'ENOENT' }) : err);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`redis-server on ${port} exited before ready:\n${output}`));
    });
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        proc.stdout?.resume();
        resolve({
          port,
          url: `redis://127.0.0.1:${port}`,
          proc,
          kill: async () => {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  });
}
