/**
 * Invariant: Redis stopped → POST answers 503 within 2 s (never 200 for an event that was not
 * stored); Redis started again → the same process recovers on its own: webhooks are stored
 * again and the worker applies them, with no restart of Talkshop.
 *
 * Runs its own throwaway redis-server on a free port (the shared test Redis is never touched).
 */
import { createClient } from 'redis';
import { textMessageBody } from '../../src/cli/sendEvent';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { keysFor } from '../../src/store/keys';
import { freePort, startPrivateRedis, type PrivateRedis } from '../support/privateRedis';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { get, postSigned, waitFor, type HttpResult } from '../support/webhookClient';

const PARTITIONS = 16;
/**
 * Short on purpose: the second test also checks the answers once the worker's leases have run out
 * in the dead Redis. With one worker a lease lost to a slow moment elsewhere costs nothing here
 * (the worker takes it again; fencing keeps every apply single).
 */
const LEASE_TTL_MS = 1500;
let redis: PrivateRedis | undefined;
let service: RunningService | undefined;

afterAll(async () => {
  await service?.stop();
  await redis?.kill();
});

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await f();
  return { value, ms: performance.now() - started };
}

/** Reads a user's state straight from the given Redis, bypassing Talkshop. */
async function stateIn(
  url: string,
  prefix: string,
  userId: string,
): Promise<{ v: number; s: Record<string, unknown> } | undefined> {
  const client = createClient({ url });
  await client.connect();
  try {
    const key = keysFor(prefix).state(partitionOf(TEST_PAGE, userId, PARTITIONS), userKeyOf(TEST_PAGE, userId));
    const [v, s] = await client.hmGet(key, ['v', 's']);
    return v && s ? { v: Number(v), s: JSON.parse(s) as Record<string, unknown> } : undefined;
  } finally {
    await client.quit();
  }
}

let port: number;
let prefix: string;
let svcPort: number;

beforeAll(async () => {
  port = await freePort();
  redis = await startPrivateRedis(port);
  const config = testConfig({ REDIS_URL: redis.url, INBOX_PARTITIONS: String(PARTITIONS), LEASE_TTL_MS: String(LEASE_TTL_MS) });
  prefix = config.REDIS_KEY_PREFIX;
  service = await startService(config);
  svcPort = service.port;
});

it('answers 503 within 2 s while Redis is frozen (SIGSTOP: connection open, no answers) and carries on after SIGCONT', async () => {
  const hello = textMessageBody(TEST_PAGE, 'frozen-1', 'hello', Date.now(), 'm_frozen_1');
  expect(await postSigned(svcPort, hello)).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
  await waitFor('the first event applied', async () =>
    (await stateIn(redis!.url, prefix, 'frozen-1'))?.v === 1 ? true : undefined,
  );

  redis!.proc.kill('SIGSTOP');
  let resumed = false;
  try {
    const stuck = textMessageBody(TEST_PAGE, 'frozen-2', 'hello?', Date.now(), 'm_frozen_2');
    const answers = [await timed(() => postSigned(svcPort, stuck)), await timed(() => postSigned(svcPort, stuck))];
    const ready = await timed(() => get(svcPort, '/readyz'));
    redis!.proc.kill('SIGCONT');
    resumed = true;
    if (process.env.DEBUG_OUTAGE)
      console.log(
        'frozen',
        answers.map((a) => [a.value.status, Math.round(a.ms)]),
        'readyz',
        Math.round(ready.ms),
      );
    expect(answers.map((a) => a.value.status)).toEqual([503, 503]);
    for (const a of answers) expect(a.ms).toBeLessThan(2_000);
    expect(ready.value.status).toBe(503);
    expect(ready.ms).toBeLessThan(2_000);

    // Thawed: the redelivery is acknowledged and the event applied exactly once (a timed-out
    // append may still have landed when Redis woke up; the dedupe key absorbs the redelivery).
    await waitFor('a POST answered 200 after SIGCONT', async () =>
      (await postSigned(svcPort, stuck)).status === 200 ? true : undefined,
    );
    const state = await waitFor('the event applied', async () => stateIn(redis!.url, prefix, 'frozen-2'));
    expect(state.v).toBe(1);
    expect(state.s).toMatchObject({ inbound: 1 });
  } finally {
    if (!resumed) redis!.proc.kill('SIGCONT');
  }
});

it('answers 503 fast while Redis is down and recovers without a restart when it is back', async () => {
  if (!service || !redis) throw new Error('setup failed');

  // 1. Healthy: stored, acknowledged, applied.
  const first = textMessageBody(TEST_PAGE, 'before', 'hello', Date.now(), 'm_outage_before');
  expect(await postSigned(svcPort, first)).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
  await waitFor('the first event applied', async () =>
    (await stateIn(redis!.url, prefix, 'before'))?.v === 1 ? true : undefined,
  );
  expect((await get(svcPort, '/readyz')).status).toBe(200);

  // 2. Redis dies. Every POST gets 503 (not 200, not 500), each within 2 s.
  await redis.kill();
  const downAt = Date.now();
  const during = textMessageBody(TEST_PAGE, 'during', 'anyone there?', Date.now(), 'm_outage_during');
  const outageAnswers: Array<{ status: number; ms: number }> = [];
  for (let i = 0; i < 4; i++) {
    const { value, ms } = await timed(() => postSigned(svcPort, during));
    outageAnswers.push({ status: value.status, ms: Math.round(ms) });
    expect(value.body).toMatch(/not stored/);
    // Also once the worker's leases have run out (time itself is the condition here: the dead
    // Redis cannot be asked).
    if (i === 1) await new Promise((r) => setTimeout(r, Math.max(0, downAt + LEASE_TTL_MS + 100 - Date.now())));
  }
  expect(outageAnswers.map((a) => a.status)).toEqual([503, 503, 503, 503]);
  for (const a of outageAnswers) expect(a.ms).toBeLessThan(2_000);
  if (process.env.DEBUG_OUTAGE) console.log(outageAnswers);

  const ready = await timed(() => get(svcPort, '/readyz'));
  expect(ready.value.status).toBe(503);
  expect(JSON.parse(ready.value.body)).toMatchObject({ status: 'not_ready', checks: { store: 'unreachable' } });
  expect(ready.ms).toBeLessThan(2_000);
  if (process.env.DEBUG_OUTAGE) console.log('readyz', ready.ms);
  expect((await get(svcPort, '/healthz')).status).toBe(200);
  const metrics = await get(svcPort, '/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.body).toMatch(/talkshop_webhook_requests_rejected_total\{reason="store_unavailable"\} [1-9]/);
  expect(metrics.body).not.toContain('talkshop_webhook_events_received_total{kind="message",channel="messaging"} 2');

  // 3. Redis comes back (empty: no persistence) on the same port. Meta redelivers the same event.
  redis = await startPrivateRedis(port);
  const retries: HttpResult[] = [];
  await waitFor('a POST answered 200 after Redis restarted', async () => {
    const res = await postSigned(svcPort, during);
    retries.push(res);
    return res.status === 200 ? true : (await new Promise((r) => setTimeout(r, 100)), undefined);
  });
  // While reconnecting, the only acceptable non-200 answer is 503.
  expect(retries.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);

  // 4. The worker applies the redelivered event into the new Redis, once.
  const state = await waitFor('the redelivered event applied in the new Redis', async () =>
    stateIn(redis!.url, prefix, 'during'),
  );
  expect(state.v).toBe(1);
  expect(state.s).toMatchObject({ inbound: 1 });

  // 5. Fully ready again, and a brand-new event goes through end to end.
  await waitFor('readyz 200 again', async () => ((await get(svcPort, '/readyz')).status === 200 ? true : undefined));
  const after = textMessageBody(TEST_PAGE, 'after', 'back again', Date.now(), 'm_outage_after');
  expect(await postSigned(svcPort, after)).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
  const afterState = await waitFor('the new event applied', async () => stateIn(redis!.url, prefix, 'after'));
  expect(afterState.v).toBe(1);
  // The redelivery that finally got stored is not applied twice by later retries.
  expect((await stateIn(redis.url, prefix, 'during'))?.v).toBe(1);
});

it('stops cleanly after the outage, releasing its leases in the new Redis', async () => {
  if (!service || !redis) throw new Error('setup failed');
  const stopping = service;
  service = undefined;
  await stopping.stop();
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const keys = keysFor(prefix);
    const leases = await Promise.all(Array.from({ length: PARTITIONS }, (_, p) => client.exists(keys.lease(p))));
    expect(leases).toEqual(Array(PARTITIONS).fill(0));
    expect(await client.zCard(keys.workers())).toBe(0);
  } finally {
    await client.quit();
  }
});
