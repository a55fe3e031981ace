/**
 * The README's quick start for broadcasts, as someone would type it: `talkshop demo` (the build,
 * as a child process, in-memory store, no Redis), a few users saying hi through
 * `send-event --demo` (two of them taking "Get 10% off", which subscribes them to offers), then
 * `talkshop send-broadcast --demo`, which must show the broadcast sent to those two and their
 * deliveries and reads (posted back by the demo's fake Graph API) reaching the sent count.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SHOP_PORT_ENV } from '../../src/cli/demoShop';
import { freePort } from '../support/freePort';
import { demoReady, runCli, stopRun, type CliRun } from '../support/spawnDemo';
import { waitFor } from '../support/webhookClient';

const ROOT = join(__dirname, '..', '..');

/** A row of the summary table: `  delivered  2 (100.0%)` → 2. */
function row(lines: readonly string[], label: string): number | undefined {
  const m = lines.map((l) => new RegExp(`^  ${label} +(\\d+)`).exec(l)).find((x) => x !== null);
  return m ? Number(m[1]) : undefined;
}

let cwd: string;
let demo: CliRun | undefined;
// The fake shop on a port of its own: anything else here using the shop flows' 3939 would print in this demo's log.
let env: Record<string, string>;

beforeAll(async () => {
  env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', [DEMO_SHOP_PORT_ENV]: String(await freePort()) };
  cwd = mkdtempSync(join(tmpdir(), 'talkshop-demo-broadcast-'));
  symlinkSync(join(ROOT, 'flows'), join(cwd, 'flows'));
  symlinkSync(join(ROOT, 'broadcasts'), join(cwd, 'broadcasts'));
});
afterAll(async () => {
  if (demo) await stopRun(demo);
  rmSync(cwd, { recursive: true, force: true });
});

it('demo, users saying hi (two subscribe), send-broadcast --demo: sent to the subscribers, delivered and read reach sent', async () => {
  const run = runCli(['demo'], env, cwd);
  demo = run;
  const ready = await demoReady(run);
  const admin = run.logs.find((l) => l.msg === 'admin API listening');
  expect(admin).toMatchObject({ host: '127.0.0.1', tokens: ['demo:operator'] });
  const adminUrl = `http://127.0.0.1:${String(admin?.port)}`;
  expect(run.lines).toContain(`  admin API ${adminUrl}/admin  (token: demo-admin-token-not-secret; loopback only)`);

  const say = async (user: string, text: string, reply: string) => {
    const event = runCli(
      ['send-event', '--demo', '--url', `http://127.0.0.1:${String(ready.port)}`, '--user', user, '--text', text],
      env,
      cwd,
    );
    expect(await event.exit).toBe(0);
    await waitFor(`the demo to answer ${user}'s "${text}"`, () => run.lines.find((l) => l.startsWith(`bot → ${user}: ${reply}`)));
  };
  for (const user of ['fan-1', 'fan-2']) {
    await say(user, 'hello', 'Pick one');
    await say(user, 'Get 10% off', "Great! What's your email?");
    await say(user, `${user}@example.com`, 'Done! Your code is WELCOME10');
  }
  await say('browser-1', 'hello', 'Pick one');

  // --follow: the command waits for deliveries and reads up to this long, and returns as soon as they are in.
  const broadcast = runCli(['send-broadcast', '--demo', '--url', adminUrl, '--follow', '60'], env, cwd);
  expect(await broadcast.exit).toBe(0);
  const out = [...broadcast.lines];
  expect(out[0]).toBe('created broadcast demo-news (running)');
  expect(out.some((l) => /^demo-news: (running|done) \| sent \d+ .* \| delivered \d+ \| read \d+$/.test(l))).toBe(true);
  expect(out).toContain('demo-news "New trail shoes in the demo shop": done');
  const sent = row(out, 'sent') ?? 0;
  expect(sent).toBeGreaterThanOrEqual(1);
  // Only the two who subscribed to offers were targeted: browser-1 only said hi.
  expect(row(out, 'targeted')).toBe(2);
  expect(sent).toBe(2);
  expect(row(out, 'delivered')).toBe(sent);
  expect(row(out, 'read')).toBe(sent);
  expect(broadcast.stderr()).toBe('');

  // The demo's call log shows the broadcast's sends as Graph calls; deliveries and reads are webhooks, not printed.
  const sends = run.lines.filter((l) => l.includes('the Trail Pro now comes in blue'));
  expect(sends.map((l) => l.split(':')[0]).sort()).toEqual(['bot → fan-1', 'bot → fan-2']);
  const banner = run.lines.indexOf(
    '  broadcast: npm run demo:broadcast   (to the users who took "Get 10% off": README "Quick start")',
  );
  expect(banner).toBeGreaterThan(0);
  expect(run.lines.slice(banner + 1).filter((l) => l !== '' && !l.startsWith('bot → '))).toEqual([]);

  // Sent once per id: the same file again is refused, with how to send it under a new id.
  const again = runCli(['send-broadcast', '--demo', '--url', adminUrl], env, cwd);
  expect(await again.exit).toBe(1);
  expect(again.stderr()).toMatch(/409: A broadcast with the id "demo-news" was already created.*\n.*--id demo-news-2/);
});

it('send-broadcast refuses plainly: an invalid file (its problems with file and line), a missing file, no demo running', async () => {
  const run = runCli(['demo'], env, cwd);
  const stopDemo = async () => {
    run.proc.kill('SIGTERM');
    await run.exit;
  };
  try {
    const admin = await waitFor('the demo to log "admin API listening"', () =>
      run.logs.find((l) => l.msg === 'admin API listening'),
    );
    const adminUrl = `http://127.0.0.1:${String(admin.port)}`;
    const bad = join(cwd, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'id: bad-one',
        'name: No topic',
        'kind: promotional',
        'audience:',
        '  where: [window=open]',
        'messages:',
        '  - text: Hi',
        '',
      ].join('\n'),
    );
    const invalid = runCli(['send-broadcast', '--demo', '--url', adminUrl, bad], env, cwd);
    expect(await invalid.exit).toBe(1);
    expect(invalid.stderr()).toMatch(
      /^send-broadcast: 400: The definition has \d+ error\(s\); nothing was stored\.\nerror: .*bad\.yaml:\d+/,
    );
    expect(invalid.lines).toEqual([]);

    const missing = runCli(['send-broadcast', '--demo', '--url', adminUrl, 'broadcasts/no-such.yaml'], env, cwd);
    expect(await missing.exit).toBe(2);
    expect(missing.stderr()).toBe('send-broadcast: cannot read broadcasts/no-such.yaml: ENOENT\n');
  } finally {
    await stopDemo();
  }
  const admin = run.logs.find((l) => l.msg === 'admin API listening');
  const gone = runCli(['send-broadcast', '--demo', '--url', `http://127.0.0.1:${String(admin?.port)}`], env, cwd);
  expect(await gone.exit).toBe(1);
  expect(gone.stderr()).toMatch(/no admin API at http:\/\/127\.0\.0\.1:\d+ .*is the service \(`npm run demo`\) running\?/);
});
