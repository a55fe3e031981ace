import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnReady, type ReadyProcess } from './spawnReady';

export type SpawnedService = ReadyProcess;

/** The repo root, found from here whether this runs from tests/ (jest) or dist/tests/ (bench). */
export function repoRoot(from: string): string {
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
 * resolves when it logs "talkshop ready". That line is logged at info, so the level is never
 * set below info (debug and trace are kept). A start is mostly CPU (loading modules): on a busy
 * machine it can take many seconds, so the wait for the line is generous.
 */
export function spawnService(env: Record<string, string | undefined>, timeoutMs = 60_000): Promise<SpawnedService> {
  const level = env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? env.LOG_LEVEL : 'info';
  return spawnReady([CLI, 'serve'], { env: { ...env, LOG_LEVEL: level }, readyMsg: 'talkshop ready', timeoutMs });
}

/**
 * M worker processes, then one web process, on one Redis (the README's scale-out layout).
 * `workerEnv` adds settings for worker i only (e.g. a short lease for the one a test will kill).
 */
export async function spawnCluster(
  env: Record<string, string | undefined>,
  workers: number,
  started: SpawnedService[],
  workerEnv: (i: number) => Record<string, string | undefined> = () => ({}),
): Promise<{ workers: SpawnedService[]; web: SpawnedService }> {
  const ws: SpawnedService[] = [];
  for (let i = 0; i < workers; i++) {
    const w = await spawnService({ ...env, ...workerEnv(i), ROLE: 'worker' });
    started.push(w); // recorded at once, so a failing start still gets cleaned up
    ws.push(w);
  }
  const web = await spawnService({ ...env, ROLE: 'web' });
  started.push(web);
  return { workers: ws, web };
}

/** Kills (SIGKILL) every process of a test still running and waits until all have exited. */
export async function killAll(procs: readonly SpawnedService[]): Promise<void> {
  for (const s of procs) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  await Promise.all(procs.map((s) => s.exited()));
}
