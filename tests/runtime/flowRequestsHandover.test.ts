import type { ServerResponse } from 'node:http';
import pino from 'pino';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import type { EngineEffect } from '../../src/engine/effects';
import { createGraphClient, type ClosableGraphClient } from '../../src/messenger/graphClient';
import { createMetrics } from '../../src/metrics';
import { createRequester, type Requester } from '../../src/requests/safeRequester';
import { FlowRequests } from '../../src/runtime/flowRequests';
import { OutboxSender } from '../../src/runtime/outboxSender';
import { createMemoryStore } from '../../src/store/memory/memoryStore';
import { localServer, type LocalServer } from '../requests/localServer';
import { settingsOf } from '../requests/requesterSupport';
import { seedOutbox } from '../support/seedOutbox';
import { runOnPartition0, testSenderOptions } from '../support/testSender';
import { waitFor } from '../support/webhookClient';

/**
 * A flow request whose partition is given up while it is out (a graceful stop, a lost lease):
 * the call is aborted, its entry stays in the outbox, and the next holder makes it again; the
 * result reaches the user's inbox once, and only then is the entry acked. Meanwhile the user's
 * later entries are not held up by the request.
 */
let api: LocalServer;
let fake: FakeGraphApi;
let graph: ClosableGraphClient;
let requester: Requester;
const hanging: ServerResponse[] = [];
let answerNow = false;

beforeAll(async () => {
  api = await localServer((_req, res) => {
    if (!answerNow) return void hanging.push(res);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ order: { status: 'shipped' } }));
  });
  fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p' });
  graph = createGraphClient({ baseUrl: fake.url, version: 'v26.0', pageId: 'p', accessToken: 't', appSecret: 's' });
  requester = createRequester({
    settings: settingsOf({ hosts: [{ host: '127.0.0.1', http: true, private: true }] }),
    secrets: () => undefined,
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  for (const res of hanging) res.destroy();
  await requester.close();
  graph.close();
  await fake.stop();
  await api.close();
});

it('a request out when the partition is given up is aborted, made again by the next holder, and its result recorded once', async () => {
  const store = createMemoryStore({ dedupeTtlSeconds: 600 });
  const metrics = createMetrics();
  const request: EngineEffect = {
    type: 'request',
    id: 'r1',
    name: 'orders/lookup',
    method: 'GET',
    url: `http://127.0.0.1:${api.port}/orders/123456`,
    headers: {},
    timeoutMs: 20_000,
  };
  const after: EngineEffect = { type: 'send', message: { text: 'after the request' }, messaging: 'RESPONSE', promotional: false };
  const token = await seedOutbox(store, ['u'], () => [request, after]);
  const sender = () =>
    new OutboxSender(
      testSenderOptions(store, graph, {
        metrics,
        requests: new FlowRequests({
          requester,
          store,
          pageId: 'p',
          logger: pino({ level: 'silent' }),
          metrics,
          now: Date.now,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        }),
      }),
    );

  const first = runOnPartition0(sender(), token);
  await waitFor('the API has the request', () => (api.received.length === 1 ? true : undefined));
  // The user's next entry is not held up by the request that is out.
  await waitFor('the send after it', () => (fake.sentMessages('u').length === 1 ? true : undefined));
  await first.stop(); // given up while the request is out
  const entries = await store.states.readOutbox(0, '0-0', 10);
  expect(entries.map((e) => (e.effect.body as { type?: string }).type)).toEqual(['request']);

  answerNow = true;
  const second = runOnPartition0(sender(), token);
  try {
    await waitFor('the outbox empty', async () => ((await store.states.outboxBacklog(0)) === 0 ? true : undefined));
    expect(api.received).toHaveLength(2); // made again by the next holder
    const inbox = await store.inbox.readNew(new Map([[0, '0-0']]), 10, 10);
    const results = inbox.flatMap((i) => ('record' in i && i.record.event.kind === 'request_result' ? [i.record.event.raw] : []));
    expect(results).toEqual([{ id: 'r1', outcome: 'ok', status: 200, json: { order: { status: 'shipped' } } }]);
  } finally {
    await second.stop();
  }
});
