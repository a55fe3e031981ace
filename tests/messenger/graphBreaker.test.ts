import { FAKE_ERRORS, startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { GraphBreaker, type BreakerChange } from '../../src/messenger/graphBreaker';
import { createGraphClient, type ClosableGraphClient } from '../../src/messenger/graphClient';
import { classifyGraphError, GraphApiError } from '../../src/messenger/graphErrors';

describe('GraphBreaker', () => {
  let t = 0;
  const changes: BreakerChange[] = [];
  const breaker = (): GraphBreaker =>
    new GraphBreaker({
      threshold: 3,
      baseMs: 1000,
      capMs: 8000,
      now: () => t,
      random: () => 1,
      onChange: (c) => changes.push(c),
    });
  beforeEach(() => {
    t = 0;
    changes.length = 0;
  });

  const fail = (b: GraphBreaker, n: number): void => {
    for (let i = 0; i < n; i++) {
      const gate = b.admit();
      if (!gate.admitted) throw new Error('refused');
      b.failed(gate.probe);
    }
  };

  it('opens after `threshold` failures in a row; a success in between starts the count again', () => {
    const b = breaker();
    fail(b, 2);
    b.succeeded(false);
    fail(b, 2);
    expect(b.open).toBe(false);
    fail(b, 1);
    expect(b.open).toBe(true);
    expect(b.admit()).toEqual({ admitted: false, retryInMs: 1000 });
    expect(changes).toEqual([{ state: 'open', pauseMs: 1000, failures: 3 }]);
  });

  it('after the pause one probe goes out and the rest wait; the probe failing doubles the pause, up to the cap', () => {
    const b = breaker();
    fail(b, 3);
    const pauses: number[] = [];
    for (let i = 0; i < 5; i++) {
      t += 100_000;
      const probe = b.admit();
      expect(probe).toEqual({ admitted: true, probe: true });
      expect(b.admit()).toEqual({ admitted: false, retryInMs: 250 });
      b.failed(true);
      const refused = b.admit();
      pauses.push(refused.admitted ? -1 : refused.retryInMs);
    }
    expect(pauses).toEqual([2000, 4000, 8000, 8000, 8000]);
  });

  it('a call that left before the breaker opened and fails afterwards does not lengthen the pause', () => {
    const b = breaker();
    const early = b.admit();
    fail(b, 3);
    expect(early.admitted && early.probe).toBe(false);
    b.failed(false);
    expect(b.admit()).toEqual({ admitted: false, retryInMs: 1000 });
  });

  it('the probe succeeding closes it and says how long the outage lasted', () => {
    const b = breaker();
    fail(b, 3);
    t += 1500;
    const probe = b.admit();
    expect(probe.admitted).toBe(true);
    b.succeeded(true);
    expect(b.open).toBe(false);
    expect(b.admit()).toEqual({ admitted: true, probe: false });
    expect(changes.at(-1)).toEqual({ state: 'closed', outageMs: 1500 });
  });

  it('jitter spreads the pause between half and all of it', () => {
    const low = new GraphBreaker({ threshold: 1, baseMs: 1000, now: () => 0, random: () => 0 });
    const gate = low.admit();
    low.failed(gate.admitted && gate.probe);
    expect(low.admit()).toEqual({ admitted: false, retryInMs: 500 });
  });
});

describe('the Graph client behind its breaker', () => {
  const SECRET = 'breaker-secret';
  const TOKEN = 'EAAbreaker-token-0123456789';
  const PAGE = 'page-breaker';
  let fake: FakeGraphApi;
  let client: ClosableGraphClient;
  let t = 0;
  beforeAll(async () => {
    fake = await startFakeGraphApi({ appSecret: SECRET, accessToken: TOKEN, pageId: PAGE });
    client = createGraphClient({
      baseUrl: fake.url,
      version: 'v26.0',
      pageId: PAGE,
      accessToken: TOKEN,
      appSecret: SECRET,
      timeoutMs: 2000,
      breaker: { threshold: 4, baseMs: 1000, now: () => t, random: () => 1 },
    });
  });
  afterAll(async () => {
    client.close();
    await fake.stop();
  });

  const send = (psid: string): Promise<unknown> =>
    client.sendMessage({ recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
  const errorOf = async (p: Promise<unknown>): Promise<GraphApiError> => {
    const e: unknown = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    if (!(e instanceof GraphApiError)) throw new Error(`expected a GraphApiError, got ${String(e)}`);
    return e;
  };

  it('after 4 answers of 500 calls fail at once without reaching Graph, say when to retry, and resume after a good probe', async () => {
    fake.fail.nextRequests(4, FAKE_ERRORS.transient);
    for (let i = 0; i < 4; i++) expect((await errorOf(send(`u${i}`))).httpStatus).toBe(500);
    fake.clearCalls();
    const refused = await errorOf(send('u-refused'));
    expect(refused).toMatchObject({ httpStatus: 0, sent: false, retryAfterMs: 1000 });
    expect(classifyGraphError(refused)).toBe('retryable');
    expect(fake.calls).toHaveLength(0); // nothing was sent
    t += 1000;
    await expect(send('u-probe')).resolves.toBeDefined();
    await expect(send('u-after')).resolves.toBeDefined();
    expect(fake.sentMessages().map((c) => c.recipientId)).toEqual(['u-probe', 'u-after']);
  });

  it('an error answer that is not a 5xx (Graph is up) never opens it', async () => {
    fake.fail.nextRequests(6, FAKE_ERRORS.tokenInvalid);
    for (let i = 0; i < 6; i++) expect((await errorOf(send(`v${i}`))).graphCode).toBe(190);
    await expect(send('v-ok')).resolves.toBeDefined();
  });
});
