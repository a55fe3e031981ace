import { createHmac } from 'node:crypto';
import { GraphApiError } from '../../src/messenger/graphErrors';
import { useFakeGraph } from '../support/fakeGraph';

const DAY = 24 * 3600_000;
/** The fake's and the sender's time: fixed, so a comment's age is what the test gives it. */
const clock = Date.UTC(2026, 10, 30, 12);
const { fake, graph } = useFakeGraph(() => clock);

const reply = (comment_id: string) =>
  graph().privateReply({ recipient: { comment_id }, messaging_type: 'RESPONSE', message: { text: 'hi' } });
const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof GraphApiError ? e.graphCode : String(e)),
  );

describe('the fake Graph API holds private replies to Meta’s rules', () => {
  it('one private reply per comment: a second one is refused with 10900', async () => {
    fake().comments.add({ id: '1_2', post: 'p_1', from: 'f1', psid: '9001', created: clock - DAY });
    await expect(reply('1_2')).resolves.toEqual({ messageId: expect.any(String), recipientId: '9001' });
    expect(await codeOf(reply('1_2'))).toBe(10900);
    expect(fake().comments.privateReplies).toEqual([{ id: '1_2', psid: '9001', message: { text: 'hi' }, at: clock }]);
    // Recorded as Send API calls about the person's PSID, the refused one included.
    expect(fake().calls.map((c) => [c.endpoint, c.recipientId, c.status])).toEqual([
      ['messages', '9001', 200],
      ['messages', '9001', 400],
    ]);
  });

  it('only within 7 days of the comment: later, 10903', async () => {
    fake().comments.add({ id: '1_3', post: 'p_1', from: 'f1', created: clock - 7 * DAY - 1 });
    expect(await codeOf(reply('1_3'))).toBe(10903);
    fake().comments.add({ id: '1_4', post: 'p_1', from: 'f1', created: clock - 7 * DAY });
    expect(await codeOf(reply('1_4'))).toBe('ok');
  });

  it('a visitor post by post_id; a comment it was never told of is taken as new (once)', async () => {
    await expect(
      graph().privateReply({ recipient: { post_id: 'p_9' }, messaging_type: 'RESPONSE', message: { text: 'hi' } }),
    ).resolves.toEqual({
      messageId: expect.any(String),
    });
    expect(await codeOf(reply('unknown_1'))).toBe('ok');
    expect(await codeOf(reply('unknown_1'))).toBe(10900);
  });

  it('refuses a malformed private reply with 100, as the client does before sending', async () => {
    const proof = createHmac('sha256', 's').update('t').digest('hex');
    const raw = await fetch(`${fake().url}/v26.0/me/messages?access_token=t&appsecret_proof=${proof}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: { comment_id: '1_2' }, messaging_type: 'RESPONSE' }),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { code: number } }).error.code).toBe(100);
    expect(fake().comments.privateReplies).toHaveLength(0);
    // The client's own check (an id that is a path) never reaches the fake.
    const refused = await graph()
      .privateReply({ recipient: { comment_id: '../me' }, messaging_type: 'RESPONSE', message: { text: 'hi' } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GraphApiError);
    expect((refused as GraphApiError).sent).toBe(false);
  });

  it('posts public replies under a comment and answers their id', async () => {
    const id = await graph().commentReply('1_2', 'Sent you a message!');
    expect(fake().comments.publicReplies).toEqual([{ parent: '1_2', id, text: 'Sent you a message!', at: clock }]);
    expect(fake().calls[0]).toMatchObject({
      endpoint: 'comment_reply',
      method: 'POST',
      path: '/v26.0/1_2/comments',
      status: 200,
    });
  });

  it('emits a feed comment webhook Talkshop parses, and knows the comment afterwards', async () => {
    const bodies: unknown[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(raw));
        res.end('EVENT_RECEIVED');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    fake().webhooks.configure({ url: `http://127.0.0.1:${port}/webhooks/messenger` });
    expect(
      await fake().webhooks.comment({
        id: '1_7',
        post: 'p_1',
        from: 'f7',
        psid: '9007',
        text: 'price?',
        created: clock - 8 * DAY,
      }),
    ).toBe(200);
    await new Promise<void>((r) => server.close(() => r()));
    const { parseWebhook } = await import('../../src/webhook/parseWebhook');
    const parsed = parseWebhook(bodies[0], clock);
    expect(parsed.type === 'ok' && parsed.events.map((e) => [e.kind, e.userId, e.dedupeKey, e.timestamp])).toEqual([
      ['comment', 'feed:f7', 'comment:1_7', Math.floor((clock - 8 * DAY) / 1000) * 1000],
    ]);
    expect(await codeOf(reply('1_7'))).toBe(10903);
  });
});
