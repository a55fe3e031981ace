#!/usr/bin/env node
/**
 * Runs the built `talkshop` CLI (dist/src/cli/main.js) with the given arguments, in this same Node
 * process. `npm start` and `npm run demo` go through here instead of compiling first:
 *
 *   node scripts/runBuilt.js serve                     `npm start`: the build as it is; no build → exit 1 with a clear message
 *   node scripts/runBuilt.js --build-if-stale demo     `npm run demo`: `npm run build` first when dist/ is missing or older
 *                                                      than what it is built from, so a fresh clone's first command works
 *
 * Why a script and not `npm run build && node dist/…` (what the scripts did before): a compile is
 * a full tsc run over the tree (tens of seconds to minutes), and a production restart or deploy
 * should not wait for one.
 * Why in-process (require) and not a child, and why the npm scripts say `exec node …`: npm runs a
 * script through `sh -c`, and a SIGTERM sent to `npm start` (a container stop, a process manager)
 * is forwarded to that shell only; a shell or a launcher in between would leave the service running.
 * With `exec` and no child, npm's child is the service itself, which gets the signal and drains
 * (it logs "talkshop stopping" then "talkshop stopped"; npm exits 0).
 * Plain CommonJS with no dependencies, so it runs before anything is built and after
 * `npm prune --omit=dev`.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
// What `npm run build` reads (tsc: src/ and its config; web/, the demo page; the types come from the
// installed packages, which the lockfile pins) and what it writes last: tsc rewrites every output,
// then the Lua scripts are copied, then the demo page is bundled into dist/web/. A build that stopped
// halfway leaves a later output older than the sources, so it counts as stale.
const CODE = ['src', 'web', 'tsconfig.json'];
const INPUTS = [...CODE, 'package.json', 'package-lock.json'];
const OUTPUTS = [relative(ROOT, MAIN), join('dist', 'src', 'store', 'redis', 'lua'), join('dist', 'web')];

/** Every file and folder under `path` (itself included), with its modification time in ms. */
function* entries(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return; // a missing input (no lockfile yet) is no reason to rebuild
  }
  yield { path, mtimeMs: stat.mtimeMs };
  if (stat.isDirectory()) for (const name of readdirSync(path)) yield* entries(join(path, name));
}

/** Why dist/ is older than `inputs` (or missing), or undefined when it is up to date. */
function staleReason(inputs) {
  let oldestOutput;
  for (const out of OUTPUTS) {
    const found = [...entries(join(ROOT, out))];
    if (found.length === 0) return `${out} is missing`;
    for (const e of found) if (oldestOutput === undefined || e.mtimeMs < oldestOutput.mtimeMs) oldestOutput = e;
  }
  for (const input of inputs) {
    for (const e of entries(join(ROOT, input))) {
      if (e.mtimeMs > oldestOutput.mtimeMs) return `${relative(ROOT, e.path)} is newer than the build`;
    }
  }
  return undefined;
}

function build(reason) {
  process.stderr.write(`talkshop: building first (${reason}): npm run build\n`);
  // Through the npm that runs this script (npm_execpath), else the one on PATH. The build's output
  // goes to stderr, so stdout stays the service's own.
  const npm = process.env.npm_execpath;
  const [cmd, args] = npm ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: ['ignore', process.stderr, 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`talkshop: the build failed (${result.error ? result.error.message : `exit ${result.status}`})\n`);
    process.exit(1);
  }
}

const args = process.argv.slice(2);
const buildIfStale = args[0] === '--build-if-stale';
if (buildIfStale) args.shift();

if (buildIfStale) {
  const reason = staleReason(INPUTS);
  if (reason) build(reason);
} else if (!existsSync(MAIN)) {
  process.stderr.write(
    `talkshop: there is no build (${relative(ROOT, MAIN)} is missing).\n` +
      'npm start runs the built service and never compiles: run `npm run build` first, then `npm start`.\n',
  );
  process.exit(1);
} else {
  // Only a change of the code warns here: `npm prune` rewrites package-lock.json (same content,
  // new time), and the production install prunes after the build.
  const reason = staleReason(CODE);
  if (reason)
    process.stderr.write(`talkshop: warning: running the existing build, but ${reason}; \`npm run build\` to include it\n`);
}

// The CLI parses process.argv as `node <script> <args>`: present it as if it had been started directly.
process.argv = [process.argv[0], MAIN, ...args];
require(MAIN);
