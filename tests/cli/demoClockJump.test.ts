/**
 * Moving the demo's clock forward (POST /demo/clock, src/cli/demoClock.ts), as the demo page's
 * "+1 hour" and "+1 day" do: the clock itself (jumps add up, only forward, capped per jump and in
 * all, never reads less than before); the route in-process, refusing what is not a jump with a
 * status and a message; the built demo as a child process, where a drip step due hours later goes
 * out once a jump passes its time (the timers notice by themselves); and under `serve` no such route.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_CLOCK_BODY_LIMIT,
  demoClockRoute,
  demoClockSchema,
  MAX_AHEAD_MS,
  MAX_JUMP_MS,
  startDemoClock,
} from '../../src/cli/demoClock';
import { DEMO_ADMIN_TOKEN } from '../../src/cli/demoEnv';
import { DEMO_SHOP_PORT_ENV } from '../../src/cli/demoShop';
import { freePort } from '../support/freePort';
import { demoReady, runCli, stopRun, type CliRun } from '../support/spawnDemo';
import { spawnService } from '../support/spawnService';
import { testEnv } from '../support/testEnv';
import { post, waitFor } from '../support/webhookClient';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('startDemoClock', () => {
  it('adds each jump to the scaled clock, and says how far it moved', () => {
    let real = 1_000_000;
    const clock = startDemoClock(real, 60, () => real);
    expect(clock.now()).toBe(1_000_000);
    const jumped = clock.advance(HOUR);
    expect(jumped).toEqual({
      type: 'advanced',
      reading: { now: 1_000_000 + HOUR, speed: 60, startedAt: 1_000_000, aheadMs: HOUR },
    });
    real += 1000; // one real second is a minute at speed 60
    expect(clock.now()).toBe(1_000_000 + HOUR + MINUTE);
    clock.advance(DAY);
    expect(clock.aheadMs()).toBe(HOUR + DAY);
    expect(clock.now()).toBe(1_000_000 + HOUR + MINUTE + DAY);
  });

  it('never reads less than it read before, even when the machine clock steps back', () => {
    let real = 5_000_000;
    const clock = startDemoClock(real, 1, () => real);
    expect(clock.now()).toBe(5_000_000);
    real -= 30_000;
    expect(clock.now()).toBe(5_000_000);
    real += 40_000;
    expect(clock.now()).toBe(5_010_000);
  });

  it.each([0, -HOUR, MINUTE - 1, MAX_JUMP_MS + 1, 1.5 * HOUR + 0.5, Number.NaN])('refuses a jump of %d ms', (ms) => {
    const clock = startDemoClock(0, 1, () => 0);
    expect(clock.advance(ms)).toEqual({ type: 'out_of_range', message: 'a jump is 1 minute to 30 days' });
    expect(clock.aheadMs()).toBe(0);
  });

  it('refuses a jump that would put it more than MAX_AHEAD_MS ahead in all, and stays where it was', () => {
    const clock = startDemoClock(0, 1, () => 0);
    for (let i = 0; i < 12; i++) expect(clock.advance(MAX_JUMP_MS).type).toBe('advanced');
    expect(clock.advance(MAX_AHEAD_MS - 12 * MAX_JUMP_MS).type).toBe('advanced');
    const refused = clock.advance(MINUTE);
    expect(refused).toEqual({
      type: 'capped',
      message:
        "the demo's clock is already 365 days ahead; all jumps together are at most 365 days (restart the demo to start again)",
    });
    expect(clock.now()).toBe(MAX_AHEAD_MS);
  });
});

describe('POST /demo/clock in-process', () => {
  let server: Server;
  let port: number;
  let real = 2_000_000;
  const clock = startDemoClock(real, 1, () => real);
  const route = demoClockRoute(clock);
  const jump = (body: string, contentType = 'application/json') =>
    post(port, '/demo/clock', body, { 'content-type': contentType });

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (!route(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('{"by": "1h"} moves it an hour forward and answers the reading; GET reads the same clock', async () => {
    const res = await jump('{"by":"1h"}');
    expect(res.status).toBe(200);
    expect(demoClockSchema.parse(JSON.parse(res.body))).toEqual({
      now: 2_000_000 + HOUR,
      speed: 1,
      startedAt: 2_000_000,
      aheadMs: HOUR,
    });
    real += 5000;
    const read = await fetch(`http://127.0.0.1:${port}/demo/clock`);
    expect(await read.json()).toEqual({ now: 2_005_000 + HOUR, speed: 1, startedAt: 2_000_000, aheadMs: HOUR });
    expect((await jump('{"by":"30m"}')).status).toBe(200);
    expect((await jump('{"by":"2d"}')).status).toBe(200);
    expect(clock.aheadMs()).toBe(HOUR + 30 * MINUTE + 2 * DAY);
  });

  it.each([
    ['{"by":"0h"}', 'not a jump: expected a whole number and a unit: 30m, 1h, 1d'],
    ['{"by":"-1h"}', 'not a jump'],
    ['{"by":"1.5h"}', 'not a jump'],
    ['{"by":"1w"}', 'not a jump'],
    ['{"by":3600}', 'not a jump'],
    ['{"by":"1h","extra":1}', 'not a jump'],
    ['{}', 'not a jump'],
    ['[]', 'not a jump'],
    ['{"by":"31d"}', 'a jump is 1 minute to 30 days'],
    ['{"by":"999999m"}', 'a jump is 1 minute to 30 days'],
    ['not json', 'the body is not JSON'],
  ])('400 for %s, and the clock stays', async (body, error) => {
    const before = clock.aheadMs();
    const res = await jump(body);
    expect(res.status).toBe(400);
    expect((JSON.parse(res.body) as { error: string }).error).toContain(error);
    expect(clock.aheadMs()).toBe(before);
  });

  it('415 for a body that is not declared JSON (a form post from another site), 413 over the cap, 405 for other methods', async () => {
    const before = clock.aheadMs();
    expect((await jump('by=1h', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await jump('{"by":"1h"}', 'text/plain')).status).toBe(415);
    expect((await jump(`{"by":"1h","pad":"${'x'.repeat(DEMO_CLOCK_BODY_LIMIT)}"}`)).status).toBe(413);
    expect((await fetch(`http://127.0.0.1:${port}/demo/clock`, { method: 'DELETE' })).status).toBe(405);
    expect(clock.aheadMs()).toBe(before);
  });

  it('409 once the jumps would pass a year ahead in all', async () => {
    for (;;) {
      const res = await jump('{"by":"30d"}');
      if (res.status === 409) {
        expect((JSON.parse(res.body) as { error: string }).error).toMatch(/^the demo's clock is already [\d.]+ days ahead/);
        break;
      }
      expect(res.status).toBe(200);
    }
    expect(clock.aheadMs()).toBeLessThanOrEqual(MAX_AHEAD_MS);
    expect(clock.aheadMs()).toBeGreaterThan(MAX_AHEAD_MS - 30 * DAY);
  });
});

describe('the built demo', () => {
  const ROOT = join(__dirname, '..', '..');
  let cwd: string;
  let demo: CliRun | undefined;

  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'talkshop-demo-jump-'));
    symlinkSync(join(ROOT, 'flows'), join(cwd, 'flows'));
  });
  afterAll(async () => {
    if (demo) await stopRun(demo);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('at real speed, tip 2 of the running tips is hours away; a jump past its time sends it', async () => {
    const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', [DEMO_SHOP_PORT_ENV]: String(await freePort()) };
    const run = runCli(['demo'], env, cwd);
    demo = run;
    const port = Number((await demoReady(run)).port);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the banner', () => run.lines.find((l) => l.startsWith('  say hi:')));
    const adminPort = run.logs.find((l) => l.msg === 'admin API listening')?.port;

    const say = async (text: string, reply: string) => {
      const event = runCli(['send-event', '--demo', '--url', base, '--user', 'jumper', '--text', text], env, cwd);
      expect(await event.exit).toBe(0);
      await waitFor(`the answer to "${text}"`, () => run.lines.find((l) => l.startsWith(`bot → jumper: ${reply}`)));
    };
    await say('hello', 'Pick one');
    await say('Get 10% off', "Great! What's your email?");
    await say('jumper@example.com', 'Done! Your code is WELCOME10');
    await say('Yes, sign me up', "You're in!");
    await waitFor('tip 1', () => run.lines.find((l) => l.startsWith('bot → jumper: Tip 1:')));

    // When tip 2 is due, from the user's record (GET /admin/users/:psid answers their sequences).
    const user = await waitFor('tip-later to be armed', async () => {
      const res = await fetch(`http://127.0.0.1:${String(adminPort)}/admin/users/jumper`, {
        headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` },
      });
      const body = (await res.json()) as { sequences?: Record<string, { nextStep: string; dueAt: number }> };
      return body.sequences?.['running-tips']?.nextStep === 'tip-later' ? body.sequences['running-tips'] : undefined;
    });
    const now = demoClockSchema.parse(await (await fetch(`${base}/demo/clock`)).json()).now;
    // 4 h, moved into the 08:00–21:00 window: at most 15 h, always inside the 24 h messaging window.
    expect(user.dueAt - now).toBeGreaterThan(3 * HOUR);
    expect(user.dueAt - now).toBeLessThanOrEqual(15 * HOUR);
    expect(run.lines.some((l) => l.startsWith('bot → jumper: Tip 2:'))).toBe(false);

    const hours = Math.ceil((user.dueAt - now) / HOUR);
    const res = await post(port, '/demo/clock', JSON.stringify({ by: `${hours}h` }), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(demoClockSchema.parse(JSON.parse(res.body)).now).toBeGreaterThanOrEqual(user.dueAt);
    const tip2 = await waitFor('tip 2 after the jump', () => run.lines.find((l) => l.startsWith('bot → jumper: Tip 2:')));
    expect(tip2).toMatch(/\(UPDATE\)$/);
  }, 120_000);
});

it('under `serve` there is no demo clock to move: POST /demo/clock is 404', async () => {
  const service = await spawnService(testEnv({ REDIS_URL: undefined, REDIS_KEY_PREFIX: undefined }));
  try {
    const res = await post(service.port, '/demo/clock', '{"by":"1h"}', { 'content-type': 'application/json' });
    expect(res.status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${service.port}/demo/clock`)).status).toBe(404);
  } finally {
    service.proc.kill('SIGTERM');
    await service.exited();
  }
});
