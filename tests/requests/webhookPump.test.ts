import { createMetrics } from '../../src/metrics';
import { enqueueWebhook } from '../../src/requests/enqueueWebhook';
import { createRequester, type Requester } from '../../src/requests/safeRequester';
import { startWebhookPump, type WebhookPump, type WebhookPumpOptions } from '../../src/requests/webhookPump';
import { verifyWebhook, WEBHOOK_HEADERS } from '../../src/requests/webhookSignature';
import { webhookSettingsSchema } from '../../src/engine/requestSettings';
import type { Store, WebhookQueue } from '../../src/store/ports';
import { waitFor } from '../support/webhookClient';
import { json, localServer, type LocalServer, type Received } from './localServer';
import { capturedLogger, fakeDns, settingsOf } from './requesterSupport';
import { storeAdapters } from '../support/storeAdapters';

/**
 * Outgoing webhooks end to end: enqueue → pump → a real receiver on 127.0.0.1 that checks the
 * signature as a receiver would. A fake clock moves time on (backoff, leases); the waits are for
 * conditions.
 */
const KEY = 'whsec-test-0123456789abcdef';

const adapters = storeAdapters('webhook-pump');

describe.each(adapters)('outgoing webhooks (%s queue)', (_name, make) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let receiver: LocalServer;
  let requester: Requester;
  let answers: number[] = [];
  let clock = 1_700_000_000_000;
  const pumps: WebhookPump[] = [];
  const log = capturedLogger();
  let metrics = createMetrics();
  const requests = settingsOf({ hosts: [{ host: 'crm.test', http: true, private: true }], timeout_ms: 2000 });
  const queue = () => store.webhooks as WebhookQueue;
  const url = () => `http://crm.test:${receiver.port}/leads`;

  const pump = (extra: Partial<WebhookPumpOptions> = {}, maxTries = 3): WebhookPump => {
    const started = startWebhookPump({
      queue: queue(),
      requester,
      settings: { requests, webhooks: webhookSettingsSchema.parse({ max_tries: maxTries }) },
      signingKey: KEY,
      logger: log.logger,
      metrics,
      now: () => clock,
      random: () => 0.5,
      pollMs: 5,
      storeRetryMs: 5,
      backoff: { baseMs: 1_000, maxMs: 10_000 },
      leaseMs: 60_000,
      ...extra,
    });
    pumps.push(started);
    return started;
  };
  const enqueue = (id: string) =>
    enqueueWebhook(queue(), requests, { id, name: 'crm', url: url(), body: { lead: { email: 'a@example.com' }, id } }, clock, {
      metrics,
    });
  const count = async (outcome: string) =>
    (await metrics.registry.getSingleMetric('talkshop_outgoing_webhooks_total')?.get())?.values.find(
      (v) => v.labels.outcome === outcome,
    )?.value ?? 0;
  /** Once the n-th retry is recorded (its due time set from the clock), move the clock past its backoff. */
  const afterRetries = async (n: number) => {
    await waitFor(`${n} retries recorded`, async () => ((await count('retried')) >= n ? true : undefined));
    clock += 60_000;
  };
  const verified = (r: Received) =>
    verifyWebhook(
      KEY,
      r.headers[WEBHOOK_HEADERS.signature] as string,
      r.headers[WEBHOOK_HEADERS.timestamp] as string,
      r.body,
      Math.floor(clock / 1000),
      3600,
    );

  beforeEach(async () => {
    ({ store, cleanup } = await make());
    answers = [];
    metrics = createMetrics();
    receiver = await localServer((_req, res) => {
      const status = answers.shift() ?? 200;
      if (status === 0) return; // hang: never answer
      json(res, status, {});
    });
    requester = createRequester({
      settings: requests,
      secrets: () => undefined,
      logger: log.logger,
      lookup: fakeDns({ 'crm.test': '127.0.0.1' }),
    });
  });
  afterEach(async () => {
    await Promise.all(pumps.splice(0).map((p) => p.stop()));
    await requester.close();
    await receiver.close();
    await store.close();
    await cleanup();
  });

  it('delivers once, signed, to a receiver that fails twice and then succeeds', async () => {
    answers = [500, 503, 200];
    expect(await enqueue('effect-1')).toEqual({ kind: 'enqueued' });
    pump();
    await afterRetries(1);
    await afterRetries(2);
    await waitFor('the queue to empty', async () => ((await queue().size()) === 0 ? true : undefined));
    expect(receiver.received).toHaveLength(3);
    // Every try carries the same delivery id, a rising attempt number and a valid signature.
    expect(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.delivery])).toEqual(['effect-1', 'effect-1', 'effect-1']);
    expect(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.attempt])).toEqual(['1', '2', '3']);
    expect(receiver.received.every(verified)).toBe(true);
    expect(JSON.parse(receiver.received[2]?.body ?? '')).toEqual({ lead: { email: 'a@example.com' }, id: 'effect-1' });
    // A tampered body fails the same check.
    const last = receiver.received[2] as Received;
    expect(verified({ ...last, body: last.body.replace('a@example.com', 'b@example.com') })).toBe(false);
    expect(await count('delivered')).toBe(1);
    expect(await count('retried')).toBe(2);
    // The outbox replaying the same effect does not send it again.
    expect(await enqueue('effect-1')).toEqual({ kind: 'duplicate' });
    expect(await queue().size()).toBe(0);
  });

  it('drops a webhook after max_tries to a receiver that always fails, counted and logged', async () => {
    answers = [500, 500, 500, 500, 500];
    await enqueue('effect-2');
    pump();
    await afterRetries(1);
    await afterRetries(2);
    await waitFor('the queue to empty', async () => ((await queue().size()) === 0 ? true : undefined));
    expect(receiver.received).toHaveLength(3);
    expect(await count('dropped')).toBe(1);
    expect(await count('retried')).toBe(2);
    expect(log.text()).toMatch(/"level":40[^\n]*"id":"effect-2"[^\n]*"last":"5xx"[^\n]*outgoing webhook dropped/);
  });

  it('drops at once on a 4xx other than 408 and 429, and retries those two', async () => {
    answers = [429, 408, 400];
    await enqueue('effect-3');
    pump({}, 5);
    await afterRetries(1);
    await afterRetries(2);
    await waitFor('the queue to empty', async () => ((await queue().size()) === 0 ? true : undefined));
    expect(receiver.received).toHaveLength(3);
    expect(await count('retried')).toBe(2);
    expect(await count('dropped')).toBe(1);
  });

  it('retries after the lease a webhook whose pump stopped mid-try, with the same delivery id', async () => {
    answers = [0, 200]; // the first try hangs
    await enqueue('effect-4');
    const first = pump();
    await waitFor('the first try at the receiver', () => (receiver.received.length === 1 ? true : undefined));
    await first.stop();
    pump();
    // Claimed by the stopped pump: the new one cannot take it until the lease ends.
    expect(await queue().size()).toBe(1);
    expect(await queue().claimDue(clock, 10, 1, 'probe')).toEqual([]);
    clock += 60_001;
    await waitFor('the queue to empty', async () => ((await queue().size()) === 0 ? true : undefined));
    expect(receiver.received.map((r) => r.headers[WEBHOOK_HEADERS.delivery])).toEqual(['effect-4', 'effect-4']);
    expect(receiver.received[1]?.headers[WEBHOOK_HEADERS.attempt]).toBe('2');
    expect(await count('delivered')).toBe(1);
  });

  it('keeps sending to other receivers while one try hangs (a freed slot is refilled at once)', async () => {
    answers = [0]; // the slow receiver's first try never answers
    let fastCalls = 0;
    const fast = await localServer((_req, res) => {
      fastCalls += 1;
      json(res, 200, {});
    });
    const fastUrl = `http://crm.test:${fast.port}/hooks`;
    const send = (id: string, to: string) => enqueueWebhook(queue(), requests, { id, name: 'crm', url: to, body: { id } }, clock);
    await send('slow-1', url());
    pump({ batch: 2, settings: { requests: { ...requests, timeout_ms: 30_000 }, webhooks: webhookSettingsSchema.parse({}) } });
    await waitFor('the slow try to start', () => (receiver.received.length === 1 ? true : undefined));
    for (const id of ['fast-1', 'fast-2', 'fast-3']) await send(id, fastUrl);
    await waitFor('three fast deliveries', async () => (fastCalls === 3 && (await queue().size()) === 1 ? true : undefined));
    // Still hanging: the slow try has not ended, and did not hold the others up.
    expect(await count('delivered')).toBe(3);
    expect(receiver.received).toHaveLength(1);
    await fast.close();
  });

  it('retries store errors instead of dropping work', async () => {
    let failures = 3;
    const flaky: WebhookQueue = {
      enqueue: (...a) => queue().enqueue(...a),
      claimDue: async (...a) => {
        if (failures-- > 0) throw new Error('store unavailable (injected)');
        return queue().claimDue(...a);
      },
      complete: async (...a) => {
        if (failures-- > -2) throw new Error('store unavailable (injected)');
        return queue().complete(...a);
      },
      retry: (...a) => queue().retry(...a),
      drop: (...a) => queue().drop(...a),
      size: () => queue().size(),
    };
    await enqueue('effect-5');
    pump({ queue: flaky });
    await waitFor('the queue to empty', async () => ((await queue().size()) === 0 ? true : undefined));
    expect(receiver.received).toHaveLength(1);
    expect(await count('delivered')).toBe(1);
    expect(failures).toBeLessThan(-2);
  });

  it('refuses at enqueue a webhook the settings could never send, and a body over the cap', async () => {
    const refused = (u: string) =>
      enqueueWebhook(queue(), requests, { id: u, name: 'crm', url: u, body: {} }, clock, { metrics });
    expect(await refused('http://elsewhere.test/leads')).toEqual({ kind: 'refused', reason: 'host_not_allowed' });
    expect(await refused('ftp://crm.test/leads')).toEqual({ kind: 'refused', reason: 'scheme' });
    const big = await enqueueWebhook(
      queue(),
      requests,
      { id: 'big', name: 'crm', url: url(), body: { x: 'y'.repeat(70_000) } },
      clock,
    );
    expect(big).toEqual({ kind: 'refused', reason: 'too_large' });
    expect(await queue().size()).toBe(0);
    expect(await count('refused_host_not_allowed')).toBe(1);
  });
});
