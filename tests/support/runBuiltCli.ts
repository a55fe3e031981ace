import { execFile } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

/** How a run of the built CLI ended. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The built CLI run to its end in `cwd`, with exactly these settings (plus PATH; undefined ones
 * left out) and no terminal, so it prints progress lines rather than a bar.
 */
export function runBuiltCli(
  args: readonly string[],
  settings: Record<string, string | undefined>,
  cwd: string,
): Promise<CliResult> {
  const childEnv = Object.fromEntries(Object.entries({ PATH: process.env.PATH, ...settings }).filter(([, v]) => v !== undefined));
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { cwd, env: childEnv as NodeJS.ProcessEnv }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}
