/**
 * Two Pages in one process (#18 item 2; setup in tests/support/twoPagesSetup.ts): each Page gets a
 * signed message and answers from its own flows, every Graph call carrying that Page's token and
 * appsecret_proof; the public /metrics shows both Pages' series, each with its page label, and
 * /readyz is ready once both Pages are.
 */
import { textMessageBody } from '../../src/cli/sendEvent';
import { parsePromText } from '../support/promText';
import { PAGE_A as A, PAGE_B as B, B_HELLO, startTwoPages, type TwoPages } from '../support/twoPagesSetup';
import { get, postSigned, waitFor } from '../support/webhookClient';

let two: TwoPages;

beforeAll(async () => {
  two = await startTwoPages();
});
afterAll(async () => {
  await two?.stop();
});

it('each Page answers its own customer from its own flows, with its own token and appsecret_proof', async () => {
  // Each app signs the webhooks of its own Pages; one batch body of both would be signed by one app only.
  for (const page of [A, B] as const) {
    const body = textMessageBody(page, `psid-${page}`, 'hi', Date.now(), `m_two_${page}`);
    expect(await two.post(page, body)).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
  }
  // Page B's event under the environment app's signature is refused: only B's app's secret is tried.
  const forged = textMessageBody(B, `psid-${B}`, 'menu', Date.now(), 'm_forged');
  expect((await postSigned(two.service.main.port, forged)).status).toBe(403);
  await waitFor("each Page's answer", () =>
    two.textsTo(A, `psid-${A}`).length > 0 && two.textsTo(B, `psid-${B}`).length > 0 ? true : undefined,
  );
  expect(two.textsTo(B, `psid-${B}`).join('\n')).toContain(B_HELLO);
  expect(two.textsTo(A, `psid-${A}`).join('\n')).toContain('Northwind Outfitters');
  expect(two.textsTo(B, `psid-${B}`).join('\n')).not.toContain('Northwind');
  // Every call reached the fake of its own Page's token, which checked the token and the proof.
  for (const page of [A, B] as const) {
    const calls = two.fakes[page].calls;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.status !== 200)).toEqual([]);
    expect(calls.filter((c) => c.recipientId !== undefined && c.recipientId !== `psid-${page}`)).toEqual([]);
  }
  expect(two.service.pages.get(B)?.store).toBeDefined();
  // B's worker has no listener of its own: the environment's Page's serves every Page's /metrics and /readyz.
  expect(two.service.pages.get(B)?.port).toBe(0);
});

it("one /metrics: both Pages' series with their page label, each family once, the process metrics once", async () => {
  // After the first test: both Pages have applied their "hi" (and the forged event was refused).
  await waitFor('both Pages counted their sends', async () => {
    const samples = parsePromText((await get(two.service.main.port, '/metrics')).body);
    const sent = samples.filter((s) => s.name === 'talkshop_deliveries_total' && s.labels.outcome === 'sent');
    return [A, B].every((page) => sent.some((s) => s.labels.page === page)) ? true : undefined;
  });
  const res = await get(two.service.main.port, '/metrics');
  expect(res.status).toBe(200);
  const samples = parsePromText(res.body); // throws on a family declared twice or a label doubled
  const of = (name: string) => samples.filter((s) => s.name === name);
  for (const page of [A, B])
    expect(of('talkshop_events_applied_total').some((s) => s.labels.page === page && s.value > 0)).toBe(true);
  // The webhook labels the Page of each event it accepts, once; B's forged event was not accepted.
  expect(of('talkshop_webhook_events_received_total').map((s) => [s.labels.page, s.value])).toEqual(
    expect.arrayContaining([
      [A, 1],
      [B, 1],
    ]),
  );
  expect(of('talkshop_webhook_requests_rejected_total')).toEqual([
    expect.objectContaining({ labels: { reason: 'bad_signature' }, value: 1 }),
  ]);
  expect(of('talkshop_nodejs_heap_size_total_bytes')).toEqual([expect.objectContaining({ labels: {} })]);
  expect(of('talkshop_inbox_lag').filter((s) => s.labels.page === B)).toHaveLength(16);
});

it('one /readyz: ready once every Page is, counting the Pages', async () => {
  const body = await waitFor('ready', async () => {
    const res = await get(two.service.main.port, '/readyz');
    return res.status === 200 ? (JSON.parse(res.body) as unknown) : undefined;
  });
  expect(body).toMatchObject({ status: 'ready', checks: { store: 'ok' }, pages: { total: 2, ready: 2, notReady: {} } });
});

it('/readyz names the Page that is not ready, and why', async () => {
  // B's worker stops: the deployment is not ready, and says it is B.
  await two.service.pages.get(B)?.stop();
  const res = await waitFor('not ready', async () => {
    const r = await get(two.service.main.port, '/readyz');
    return r.status === 503 ? r : undefined;
  });
  const body = JSON.parse(res.body) as {
    status: string;
    pages: { ready: number; notReady: Record<string, Record<string, string>> };
  };
  expect(body.status).toBe('not_ready');
  expect(body.pages.ready).toBe(1);
  expect(Object.keys(body.pages.notReady)).toEqual([B]);
  expect(body.pages.notReady[B]).toEqual({ service: 'stopping' });
});
