import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { matchAdminRoute } from '../../src/admin/adminRoutes';
import { checkBroadcast } from '../../src/broadcasts/loadBroadcasts';
import { addBroadcastCommand } from '../../src/cli/broadcastCommand';
import { loadFlows } from '../../src/flows/loadFlows';
import { formatProblem } from '../../src/flows/problem';

/**
 * docs/broadcasts.md must stay true to the code: its `# broadcast` example passes the checker
 * against the demo flows, every `talkshop broadcast …` line names a subcommand and options that
 * exist, and every admin route it lists is in the route table.
 */
const root = join(__dirname, '..', '..');
const doc = readFileSync(join(root, 'docs', 'broadcasts.md'), 'utf8');
const fenced = (lang: string) =>
  [...doc.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] ?? '');

describe('docs/broadcasts.md', () => {
  it('its broadcast example passes the checker against the demo flows', () => {
    const flows = loadFlows(join(root, 'flows'));
    if (!flows.ok) throw new Error(flows.problems.map(formatProblem).join('\n'));
    const examples = fenced('yaml').filter((b) => b.startsWith('# broadcast'));
    expect(examples.length).toBeGreaterThan(0);
    for (const text of examples) {
      const checked = checkBroadcast(text, 'docs/broadcasts.md', { flows: flows.flowSet });
      expect(checked.ok ? [] : checked.problems.map(formatProblem)).toEqual([]);
    }
  });

  it('every talkshop broadcast command it shows exists, with those options', () => {
    const program = new Command('talkshop');
    addBroadcastCommand(program, {
      config: () => {
        throw new Error('not run');
      },
      openStore: () => Promise.reject(new Error('not run')),
    });
    const broadcast = program.commands.find((c) => c.name() === 'broadcast');
    const lines = fenced('sh')
      .flatMap((b) => b.split('\n'))
      .map((l) => l.replace(/#.*$/, '').trim())
      .filter((l) => l.startsWith('talkshop broadcast '));
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) {
      const [, , name, ...args] = line.split(/\s+/);
      const sub = broadcast?.commands.find((c) => c.name() === name);
      expect([line, sub?.name()]).toEqual([line, name]);
      const known = new Set(sub?.options.map((o) => o.long));
      for (const flag of args.filter((a) => a.startsWith('--')))
        expect([line, flag, known.has(flag)]).toEqual([line, flag, true]);
    }
  });

  it('every admin route it lists is in the route table', () => {
    const routes = [...doc.matchAll(/`(GET|POST) \/admin(\/broadcasts[^`?]*)/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(routes.length).toBeGreaterThanOrEqual(4);
    for (const [method, path] of routes) {
      const concrete = path.replace(':id', 'summer-sale').split(',')[0]!;
      expect([method, path, matchAdminRoute(method, concrete)?.action]).toEqual([
        method,
        path,
        expect.stringMatching(/Broadcast/),
      ]);
    }
  });
});
