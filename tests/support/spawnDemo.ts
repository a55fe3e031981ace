import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEMO_SHOP_PORT_ENV } from '../../src/cli/demoShop';
import { freePort } from './freePort';
import { waitFor } from './webhookClient';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

/** A run of the built CLI whose output is read as it comes (the demo keeps running). */
export interface CliRun {
  readonly proc: ChildProcess;
  /** JSON log lines (pino) on stdout, in order. */
  readonly logs: Array<Record<string, unknown>>;
  /** Every other stdout line (the demo's banner, its deliveries, a command's summary). */
  readonly lines: string[];
  stderr(): string;
  readonly exit: Promise<number | null>;
}

/** Runs the built CLI like a user would: in `cwd`, with exactly `env` (plus PATH). */
export function runCli(args: readonly string[], env: Record<string, string>, cwd: string): CliRun {
  const proc = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const lines: string[] = [];
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push(line);
    }
  });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, logs, lines, stderr: () => stderr, exit };
}

/**
 * The run's "talkshop ready" log line (it carries the port). An exit before it fails at once with
 * its stderr, rather than waiting out the timeout.
 */
export function demoReady(run: CliRun): Promise<Record<string, unknown>> {
  return Promise.race([
    waitFor('the demo to log "talkshop ready"', () => run.logs.find((l) => l.msg === 'talkshop ready')),
    run.exit.then((code): never => {
      throw new Error(`the demo exited with ${code} before it was ready:\n${run.stderr()}`);
    }),
  ]);
}

/** SIGTERM unless it has already ended, then waits for the exit. */
export async function stopRun(run: CliRun): Promise<void> {
  if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill('SIGTERM');
  await run.exit;
}

/** A running `talkshop demo` of the shop, in a folder of its own; `stop` ends it and removes the folder. */
export interface ShopDemo {
  readonly run: CliRun;
  readonly port: number;
  stop(): Promise<void>;
}

/** Runs `talkshop demo` as a user would: in a fresh folder holding the repo's flows (linked), on free ports. */
export async function startShopDemo(folderPrefix: string): Promise<ShopDemo> {
  const cwd = mkdtempSync(join(tmpdir(), folderPrefix));
  symlinkSync(join(__dirname, '..', '..', 'flows'), join(cwd, 'flows'));
  const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', [DEMO_SHOP_PORT_ENV]: String(await freePort()) };
  const run = runCli(['demo'], env, cwd);
  const stop = async () => {
    await stopRun(run);
    rmSync(cwd, { recursive: true, force: true });
  };
  try {
    return { run, port: Number((await demoReady(run)).port), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
