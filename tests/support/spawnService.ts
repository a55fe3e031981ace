import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

export interface SpawnedService {
  readonly proc: ChildProcess;
  readonly port: number;
  /** Every JSON log line the process wrote so far. */
  readonly logs: Array<Record<string, unknown>>;
  exited(): Promise<number | null>;
}

/** The repo root, found from here whether this runs from tests/ (jest) or dist/tests/ (bench). */
function repoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('dist')) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

const CLI = join(repoRoot(__dirname), 'dist', 'src', 'cli', 'main.js');

/**
 * Starts `talkshop serve` from the build (npm test builds first) as a real child process, and
 * resolves when it logs "talkshop ready". LOG_LEVEL defaults to info so readiness is visible.
 */
export function spawnService(env: Record<string, string | undefined>, timeoutMs = 15_000): Promise<SpawnedService> {
  const proc = spawn(process.execPath, [CLI, 'serve'], {
    // Readiness is read from the info-level "talkshop ready" line, so never log less than info.
    env: { PATH: process.env.PATH, ...env, LOG_LEVEL: env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? env.LOG_LEVEL : 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL'); // never leave an orphan that keeps Jest alive
      reject(new Error(`service did not become ready in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    exit.then((code) => reject(new Error(`service exited with ${code} before ready\n${stderr}`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === 'talkshop ready') {
        clearTimeout(timer);
        resolve({ proc, port: Number(entry.port), logs, exited: () => exit });
      }
    });
  });
}
