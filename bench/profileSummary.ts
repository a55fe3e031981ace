/**
 * `npm run bench:profile -- <file.cpuprofile> [--top N] [--min PCT] [--depth D] [--skip-ms MS]`: a text summary
 * of a V8 CPU profile (as written by `node --cpu-prof`, e.g. by bench:webhook with
 * BENCH_PROFILE_DIR), so a closing note or the README can quote where the time went without
 * opening DevTools. Prints:
 *   - the share of samples that were idle, GC and program time;
 *   - the top N functions by self time (the function itself was on top of the stack);
 *   - the top N functions by inclusive time (on the stack at all; counted once per sample even
 *     when recursive);
 *   - self time per source area (Talkshop's folders, each dependency, Node internals);
 *   - a text flame graph: the call tree from the root, siblings of the same function merged,
 *     each line a node's inclusive share (and self share), pruned below --min percent.
 * Percentages are of the busy time (every sample but V8's `(idle)`), so a run that waited a lot
 * reads like one that did not; --skip-ms leaves out the first MS of the profile (start-up: loading
 * modules and flows).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const callFrameSchema = z.object({
  functionName: z.string(),
  url: z.string(),
  lineNumber: z.number(),
  columnNumber: z.number(),
});
const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: callFrameSchema,
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
type Profile = z.infer<typeof profileSchema>;
type CallFrame = z.infer<typeof callFrameSchema>;

interface Options {
  readonly file: string;
  readonly top: number;
  readonly minPct: number;
  readonly depth: number;
  readonly skipMs: number;
}

function parseArgs(argv: readonly string[]): Options {
  let file: string | undefined;
  const flags: Record<string, number> = { top: 15, min: 1, depth: 24, 'skip-ms': 0 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      const value = Number(argv[++i]);
      if (!(name in flags) || !Number.isFinite(value))
        throw new Error(
          `bad option ${arg} (known: ${Object.keys(flags)
            .map((f) => `--${f}`)
            .join(', ')})`,
        );
      flags[name] = value;
    } else file = arg;
  }
  if (!file) throw new Error('usage: profileSummary <file.cpuprofile> [--top 15] [--min 1] [--depth 24] [--skip-ms 0]');
  return {
    file,
    top: flags.top as number,
    minPct: flags.min as number,
    depth: flags.depth as number,
    skipMs: flags['skip-ms'] as number,
  };
}

/** Where a frame's code lives: repo-relative for Talkshop, the package for a dependency. */
function placeOf(url: string): string {
  if (url === '') return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length).replace(/^file:\/\//, '');
  return url.replace(/^file:\/\//, '');
}

/** Source area for the per-area table: a Talkshop folder, a package, Node itself, or V8's pseudo-frames. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return `dep ${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const place = placeOf(url);
  const folders = place.split('/');
  return folders.length > 2 ? `${folders[0]}/${folders[1]}` : (folders[0] ?? place);
}

const labelOf = (f: CallFrame): string => {
  const name = f.functionName || '(anonymous)';
  const place = placeOf(f.url);
  return place ? `${name} ${place}:${f.lineNumber + 1}` : name;
};

interface Tree {
  readonly label: string;
  self: number;
  total: number;
  readonly children: Map<string, Tree>;
}

const newTree = (label: string): Tree => ({ label, self: 0, total: 0, children: new Map() });

/** Microseconds each node was on top of the stack (each sample lasts until the next), from `skipUs` on. */
function selfTimes(p: Profile, skipUs: number): Map<number, number> {
  const self = new Map<number, number>();
  let at = 0;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    const next = i + 1 < p.timeDeltas.length ? (p.timeDeltas[i + 1] as number) : 0;
    if (at < skipUs) continue;
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + Math.max(0, next));
  }
  return self;
}

interface Summary {
  /** Time covered (after the skipped start), and of it the time not idle. */
  readonly wallUs: number;
  readonly busyUs: number;
  readonly bySelf: Map<string, number>;
  readonly byTotal: Map<string, number>;
  readonly byArea: Map<string, number>;
  readonly tree: Tree;
}

function summarize(p: Profile, skipUs: number): Summary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = selfTimes(p, skipUs);
  const bySelf = new Map<string, number>();
  const byTotal = new Map<string, number>();
  const byArea = new Map<string, number>();
  const tree = newTree('(root)');
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const [id, us] of self) {
    if (us === 0) continue;
    const node = byId.get(id);
    if (!node) continue;
    add(bySelf, labelOf(node.callFrame), us);
    add(byArea, areaOf(node.callFrame), us);
    // The stack from the root down to this node (the root itself is V8's "(root)").
    const stack: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at);
      if (n && parent.has(at)) stack.push(n.callFrame);
    }
    stack.reverse();
    const seen = new Set<string>();
    let branch = tree;
    branch.total += us;
    for (const frame of stack) {
      const label = labelOf(frame);
      if (!seen.has(label)) add(byTotal, label, us);
      seen.add(label);
      let child = branch.children.get(label);
      if (!child) branch.children.set(label, (child = newTree(label)));
      child.total += us;
      branch = child;
    }
    branch.self += us;
  }
  const wallUs = [...self.values()].reduce((a, b) => a + b, 0);
  return { wallUs, busyUs: wallUs - (bySelf.get('(idle)') ?? 0), bySelf, byTotal, byArea, tree };
}

const pct = (us: number, wall: number) => `${((us / wall) * 100).toFixed(1).padStart(5)}%`;
const ms = (us: number) =>
  `${Math.round(us / 1000)
    .toLocaleString('en-US')
    .padStart(7)} ms`;

function topLines(m: Map<string, number>, n: number, wall: number): string[] {
  return [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([label, us], i) => `${String(i + 1).padStart(3)}. ${pct(us, wall)} ${ms(us)}  ${label}`);
}

/** The call tree, heaviest branch first; a single-child chain stays at one indent level per frame. */
function flameLines(tree: Tree, wall: number, minPct: number, maxDepth: number): string[] {
  const out: string[] = [];
  const walk = (t: Tree, depth: number) => {
    const kids = [...t.children.values()].filter((c) => (c.total / wall) * 100 >= minPct).sort((a, b) => b.total - a.total);
    for (const c of kids) {
      const selfNote = c.self > 0 && (c.self / wall) * 100 >= minPct / 2 ? ` (self ${pct(c.self, wall).trim()})` : '';
      out.push(`${pct(c.total, wall)} ${'  '.repeat(depth)}${c.label}${selfNote}`);
      if (depth + 1 < maxDepth) walk(c, depth + 1);
    }
  };
  walk(tree, 0);
  return out;
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const profile = profileSchema.parse(JSON.parse(readFileSync(o.file, 'utf8')));
  const s = summarize(profile, o.skipMs * 1000);
  const busy = s.busyUs;
  s.bySelf.delete('(idle)');
  s.byTotal.delete('(idle)');
  s.byArea.delete('(idle)');
  s.tree.children.delete('(idle)');
  const gc = s.bySelf.get('(garbage collector)') ?? 0;
  const lines = [
    `profile ${o.file}${o.skipMs > 0 ? ` (first ${o.skipMs} ms left out)` : ''}`,
    `${ms(s.wallUs).trim()} covered, ${profile.samples.length.toLocaleString('en-US')} samples in all; ` +
      `busy ${ms(busy).trim()} (${pct(busy, s.wallUs).trim()} of it), of which GC ${pct(gc, busy).trim()}`,
    '',
    `top ${o.top} by self time (% of busy time):`,
    ...topLines(s.bySelf, o.top, busy),
    '',
    `top ${o.top} by inclusive time (% of busy time):`,
    ...topLines(s.byTotal, o.top, busy),
    '',
    'self time by area (% of busy time):',
    ...topLines(s.byArea, 30, busy),
    '',
    `call tree (inclusive % of busy time; branches under ${o.minPct}% left out, ${o.depth} levels at most):`,
    ...flameLines(s.tree, busy, o.minPct, o.depth),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
