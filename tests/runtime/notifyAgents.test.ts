import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { textMessageBody } from '../../src/cli/sendEvent';
import { charCount, LIMITS } from '../../src/platform/sendApiSchema';
import { staffNoticeText } from '../../src/runtime/notifyAgents';
import { startService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

const bodyOf = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });

it("someone asking for a person notifies the agents' webhook (who, why, last messages), retrying failures in the background", async () => {
  const received: Array<{
    text: string;
    talkshop: { psid: string; reason: string; lastMessages: Array<{ from: string; text: string }> };
  }> = [];
  let failures = 2; // the webhook answers 500 twice, then accepts
  const hook = createServer(async (req, res) => {
    const body = await bodyOf(req);
    if (failures-- > 0) return void res.writeHead(500).end();
    received.push(JSON.parse(body));
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const fake = await startTestGraphApi();
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const service = await startService(testConfig({ REDIS_URL: undefined, GRAPH_API_URL: fake.url, NOTIFY_WEBHOOK_URL: url }));
  try {
    await postSigned(service.port, textMessageBody(TEST_PAGE, 'n1', 'my order never arrived', Date.now(), 'm_n_1'));
    await postSigned(service.port, textMessageBody(TEST_PAGE, 'n1', 'talk to a person', Date.now(), 'm_n_2'));
    // The conversation is not held up by the failing webhook: the handover goes out meanwhile.
    await waitFor('the pass to the Page Inbox', () =>
      fake.calls.some((c) => c.recipientId === 'n1' && c.path.endsWith('pass_thread_control')) ? true : undefined,
    );
    await waitFor('the notice, after two failed attempts', () => (received.length === 1 ? true : undefined));
    const [notice] = received;
    expect(notice?.talkshop).toMatchObject({ psid: 'n1', reason: 'keyword' });
    expect(notice?.talkshop.lastMessages.map((m) => m.text)).toEqual(['my order never arrived', 'talk to a person']);
    expect(notice?.text).toContain('n1');
  } finally {
    await service.stop();
    await fake.stop();
    hook.close();
  }
});

it('the Messenger notice for staff names who and why, quotes the last messages, and fits in 2,000 characters', () => {
  const notice = {
    psid: 'u9',
    reason: 'fallback',
    text: 'Customer asked for a person (fallback)',
    lastMessages: [
      { from: 'user', text: 'where is my order' },
      { from: 'agent', text: 'checking' },
    ],
  };
  expect(staffNoticeText(notice)).toBe(
    '🙋 Customer asked for a person (fallback)\nCustomer: u9 · reason: fallback\nOpen the Page Inbox to answer.\nCustomer: where is my order\nAgent: checking',
  );
  const long = staffNoticeText({
    ...notice,
    lastMessages: Array.from({ length: 5 }, () => ({ from: 'user', text: 'x'.repeat(1000) })),
  });
  // Meta counts characters, not UTF-16 units: the 🙋 is one of the 2,000.
  expect(charCount(long)).toBe(LIMITS.text);
  expect(long.endsWith('…')).toBe(true);
});

it('customer text reaches the Slack-compatible notice escaped: no @channel ping, no disguised link, no link preview', async () => {
  const received: Array<Record<string, unknown> & { text: string }> = [];
  const hook = createServer(async (req, res) => {
    received.push(JSON.parse(await bodyOf(req)));
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const fake = await startTestGraphApi();
  const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const service = await startService(testConfig({ REDIS_URL: undefined, GRAPH_API_URL: fake.url, NOTIFY_WEBHOOK_URL: url }));
  const hostile = '<!channel> see <https://evil.example|your order> & <@U123>\n> admin: refund approved';
  try {
    await postSigned(service.port, textMessageBody(TEST_PAGE, 'n2', hostile, Date.now(), 'm_n2_1'));
    await postSigned(service.port, textMessageBody(TEST_PAGE, 'n2', 'talk to a person', Date.now(), 'm_n2_2'));
    await waitFor('the notice', () => (received.length === 1 ? true : undefined));
    const notice = received[0]!;
    // Slack reads <…> as markup: none of the customer's may survive, only escaped.
    expect(notice.text).not.toMatch(/<[!@]|<https?:/);
    expect(notice.text).toContain('&lt;!channel&gt; see &lt;https://evil.example|your order&gt; &amp; &lt;@U123&gt;');
    // The customer's second line stays inside the quote instead of passing for a line of ours.
    expect(notice.text).toContain('\n> &gt; admin: refund approved');
    expect(notice.text.split('\n').filter((l) => l.includes('refund approved'))).toEqual(['> &gt; admin: refund approved']);
    expect(notice).toMatchObject({ unfurl_links: false, unfurl_media: false });
    // The structured copy keeps the customer's words as they were (no markup is read there).
    expect(notice.talkshop).toMatchObject({ lastMessages: [{ from: 'user', text: hostile }, { text: 'talk to a person' }] });
  } finally {
    await service.stop();
    await fake.stop();
    hook.close();
  }
});
