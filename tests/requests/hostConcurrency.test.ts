import type { OutboundRequest, RequestOutcome } from '../../src/requests/outboundRequest';
import { createRequester, type Requester } from '../../src/requests/safeRequester';
import { waitFor } from '../support/webhookClient';
import { json, localServer, type LocalServer } from './localServer';
import { capturedLogger, fakeDns, settingsOf } from './requesterSupport';

/** A slow API fills its own host's slots and queue; another host's requests go straight through. */
describe('per-host concurrency', () => {
  let slow: LocalServer;
  let fast: LocalServer;
  let requester: Requester;
  let inFlight = 0;
  let mostInFlight = 0;
  const held: Array<() => void> = [];

  beforeAll(async () => {
    slow = await localServer((_req, res) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      held.push(() => {
        inFlight -= 1;
        json(res, 200, { slow: true });
      });
    });
    fast = await localServer((_req, res) => json(res, 200, { fast: true }));
    requester = createRequester({
      settings: settingsOf({
        hosts: [
          { host: 'slow.test', http: true, private: true, max_concurrent: 2 },
          { host: 'fast.test', http: true, private: true, max_concurrent: 2 },
        ],
      }),
      secrets: () => undefined,
      logger: capturedLogger().logger,
      lookup: fakeDns({ 'slow.test': '127.0.0.1', 'fast.test': '127.0.0.1' }),
      maxWaitingPerHost: 3,
    });
  });
  afterAll(async () => {
    held.splice(0).forEach((release) => release());
    await requester.close();
    await slow.close();
    await fast.close();
  });

  const req = (url: string, timeoutMs = 60_000): OutboundRequest => ({ method: 'GET', url, headers: {}, timeoutMs, name: 'c' });

  it('holds a slow host to max_concurrent, queues a bounded few, and lets another host through meanwhile', async () => {
    const slowUrl = `http://slow.test:${slow.port}/`;
    const waiting: Array<Promise<RequestOutcome>> = [];
    for (let i = 0; i < 4; i++) waiting.push(requester.request(req(slowUrl)));
    await waitFor('two requests at the slow host', () => (held.length === 2 ? true : undefined));
    // One more waiting fits (3 may wait); the next does not.
    const queued = requester.request(req(slowUrl, 300));
    expect(await requester.request(req(slowUrl))).toMatchObject({ kind: 'failed', reason: 'queue_full' });
    // The one that waited for a slot past its time limit timed out, without ever being sent.
    expect(await queued).toMatchObject({ kind: 'timeout' });
    // The fast host answers while every slow slot is taken.
    expect(await requester.request(req(`http://fast.test:${fast.port}/`))).toMatchObject({
      kind: 'response',
      json: { fast: true },
    });
    expect(slow.received.length).toBe(2);

    // Let the slow host answer, one request at a time: each freed slot goes to the next waiter.
    while (held.length > 0 || slow.received.length < 4) {
      await waitFor('a held request', () => (held.length > 0 ? true : undefined));
      held.shift()?.();
    }
    const outcomes = await Promise.all(waiting);
    expect(outcomes.every((o) => o.kind === 'response' && o.status === 200)).toBe(true);
    expect(slow.received.length).toBe(4);
    expect(mostInFlight).toBe(2);
  });
});
