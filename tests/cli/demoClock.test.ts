/**
 * `talkshop demo --speed n`: the clock itself (pure), the option's validation, and the README's
 * "watch the running tips" walk as someone would type it: the demo from the build as a child
 * process at a speed where "4 hours later" is a fraction of a second, a user walking hello → Get
 * 10% off → an email → "Yes, sign me up" through `send-event --demo`, and tip 1 then tip 2
 * reaching the fake Graph API. Customers' messages are still answered once the demo's clock is
 * days ahead of real time (send-event --demo stamps them with the demo's clock), and a week
 * later the first weekly step is skipped (marketing_message without Marketing Messages).
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  demoClockSchema,
  describeSpeed,
  MAX_DEMO_SPEED,
  parseSpeed,
  scaledClock,
  type DemoClockReading,
} from '../../src/cli/demoClock';
import { DEMO_ADMIN_TOKEN } from '../../src/cli/demoEnv';
import { demoReady, runCli, stopRun, type CliRun } from '../support/spawnDemo';
import { waitFor } from '../support/webhookClient';

const HOUR = 3_600_000;

describe('scaledClock', () => {
  it('reads the real time at the start, then runs speed times faster', () => {
    let real = 1_000_000;
    const clock = scaledClock(real, 3600, () => real);
    expect(clock()).toBe(1_000_000);
    real += 1000;
    expect(clock()).toBe(1_000_000 + HOUR);
    real += 250;
    expect(clock()).toBe(1_000_000 + 1.25 * HOUR);
  });

  it('at speed 1 is the real clock itself', () => {
    const real = () => 42;
    expect(scaledClock(0, 1, real)).toBe(real);
  });
});

describe('parseSpeed', () => {
  it.each([
    ['1', 1],
    ['3600', 3600],
    ['10080', 10080],
    [String(MAX_DEMO_SPEED), MAX_DEMO_SPEED],
  ])('accepts %s', (raw, speed) => expect(parseSpeed(raw)).toEqual({ ok: true, speed }));

  it.each(['0', '-5', '1.5', '1e3', 'fast', '', String(MAX_DEMO_SPEED + 1)])('refuses "%s", saying what it expects', (raw) => {
    const parsed = parseSpeed(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.message).toBe(
        `--speed expects a whole number from 1 to 100000 (how many times faster than real time the demo's clock runs); got "${raw}"`,
      );
  });
});

describe('describeSpeed', () => {
  it.each([
    [1, 'real time'],
    [60, '1 second = 1 minute'],
    [3600, '1 second = 1 hour'],
    [7, '1 second = 7 seconds'],
    [1440, '1 minute = 1 day'],
    [10080, '1 minute = 1 week'],
    [20000, '1 second ≈ 5.6 hours'],
    [100000, '1 second ≈ 1.2 days'],
  ])('%d: %s', (speed, text) => expect(describeSpeed(speed)).toBe(text));
});

const ROOT = join(__dirname, '..', '..');

let cwd: string;
let demo: CliRun | undefined;
const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };

beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'talkshop-demo-clock-'));
  symlinkSync(join(ROOT, 'flows'), join(cwd, 'flows'));
});
afterAll(async () => {
  if (demo) await stopRun(demo);
  rmSync(cwd, { recursive: true, force: true });
});

it('demo --speed refuses a speed it cannot run, before starting anything (exit 2)', async () => {
  const run = runCli(['demo', '--speed', '0'], env, cwd);
  expect(await run.exit).toBe(2);
  expect(run.stderr()).toContain('demo: --speed expects a whole number from 1 to 100000');
  expect(run.logs).toEqual([]);
});

it('demo --speed 20000: a user who signs up for the running tips gets tip 1 at once and tip 2 "4 hours later" within seconds; messages are answered days later; the weekly step is skipped (no_token)', async () => {
  const speed = 20000;
  const run = runCli(['demo', '--speed', String(speed)], env, cwd);
  demo = run;
  const ready = await demoReady(run);
  const base = `http://127.0.0.1:${String(ready.port)}`;
  await waitFor('the banner', () => run.lines.find((l) => l.startsWith('  say hi:')));
  expect(run.lines).toContain(
    "  clock     20000× real time: 1 second ≈ 5.6 hours  (a customer's 24 h messaging window closes after 4.3 s)",
  );

  const readClock = async (): Promise<DemoClockReading> => {
    const res = await fetch(`${base}/demo/clock`);
    expect(res.status).toBe(200);
    return demoClockSchema.parse(await res.json());
  };
  const first = await readClock();
  expect(first.speed).toBe(speed);
  // The demo's time is ahead of real time by what has passed since its start, times speed - 1.
  const realAfter = Date.now();
  expect(first.now).toBeLessThanOrEqual(first.startedAt + (realAfter - first.startedAt) * speed);
  expect(first.now).toBeGreaterThan(realAfter);

  const say = async (user: string, text: string, reply: string) => {
    const event = runCli(['send-event', '--demo', '--url', base, '--user', user, '--text', text], env, cwd);
    expect(await event.exit).toBe(0);
    return waitFor(`the demo to answer ${user}'s "${text}"`, () =>
      run.lines.findIndex((l) => l.startsWith(`bot → ${user}: ${reply}`)) >= 0 ? true : undefined,
    );
  };
  await say('runner-1', 'hello', 'Pick one');
  await say('runner-1', 'Get 10% off', "Great! What's your email?");
  await say('runner-1', 'runner-1@example.com', 'Done! Your code is WELCOME10');
  await say('runner-1', 'Yes, sign me up', "You're in!");

  const sendOf = (prefix: string) => run.lines.findIndex((l) => l.startsWith(`bot → runner-1: ${prefix}`));
  // 4 h is 0.7 s at this speed; a night in the 08:00–21:00 window adds at most 11 h (2 s).
  await waitFor('tip 1', () => (sendOf('Tip 1:') >= 0 ? true : undefined), 15_000);
  await waitFor('tip 2', () => (sendOf('Tip 2:') >= 0 ? true : undefined), 15_000);
  expect(sendOf('Tip 2:')).toBeGreaterThan(sendOf('Tip 1:'));
  for (const tip of ['Tip 1:', 'Tip 2:']) expect(run.lines[sendOf(tip)]).toMatch(/\(UPDATE\)$/);

  // Once the demo is more than the dedupe TTL (48 h) ahead of real time, a message stamped with
  // real time would be dropped as too old: send-event --demo stamps it with the demo's clock, and
  // the reply (RESPONSE, inside the window the message just opened) goes out.
  await waitFor('the demo clock to run 49 h ahead of real time', async () => {
    const c = await readClock();
    return c.now - Date.now() > 49 * HOUR ? true : undefined;
  });
  await say('runner-2', 'hello', 'Pick one');
  const replies = run.lines.filter((l) => l.startsWith('bot → runner-2: '));
  expect(replies.every((l) => l.endsWith('(RESPONSE)'))).toBe(true);

  // A week after the tap (30 s here, plus at most 13 h of night before 09:00) the first weekly
  // step is decided: marketing_message without Marketing Messages, so skipped for want of a token.
  const admin = run.logs.find((l) => l.msg === 'admin API listening');
  const stepCounts = async (step: string) => {
    const res = await fetch(`http://127.0.0.1:${String(admin?.port)}/admin/sequences/running-tips`, {
      headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      steps: Array<{ id: string; counts: { sent: number; skipped: Record<string, number> } }>;
    };
    return report.steps.find((s) => s.id === step)?.counts;
  };
  const weekly = await waitFor('weekly-1 to be decided', async () => {
    const counts = await stepCounts('weekly-1');
    return counts && counts.sent + Object.values(counts.skipped).reduce((a, n) => a + n, 0) > 0 ? counts : undefined;
  });
  expect(weekly).toEqual({ ...weekly, sent: 0, skipped: { no_token: 1 } });
  expect(await stepCounts('tip-later')).toMatchObject({ sent: 1, skipped: {} });
  expect(run.lines.filter((l) => l.startsWith('bot → runner-1: ') && l.endsWith('(UPDATE)'))).toHaveLength(2);
}, 150_000);
