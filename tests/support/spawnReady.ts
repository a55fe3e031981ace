import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child process that printed a JSON line `{ msg: readyMsg, port }` on stdout. */
export interface ReadyProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  /** Every JSON line the process wrote on stdout so far. */
  readonly logs: Array<Record<string, unknown>>;
  exited(): Promise<number | null>;
}

export interface SpawnReadyOptions {
  readonly env: Record<string, string | undefined>;
  readonly readyMsg: string;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/**
 * Spawns `node <args>` and resolves once it logs its JSON ready line. On a timeout the child is
 * killed (an orphan would keep Jest alive); stderr is kept for the error message.
 */
export function spawnReady(args: readonly string[], options: SpawnReadyOptions): Promise<ReadyProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000; // ends at the ready line; generous for a busy machine
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} not ready in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    void exit.then((code) => reject(new Error(`${args.join(' ')} exited with ${code} before ready\n${stderr}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === options.readyMsg) {
        clearTimeout(timer);
        resolve({ proc, port: Number(entry.port), logs, exited: () => exit });
      }
    });
  });
}
