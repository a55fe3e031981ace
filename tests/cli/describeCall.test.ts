import { describeCall, describeMessage } from '../../src/cli/describeCall';
import { commentBody } from '../../src/cli/sendEvent';
import type { FakeCall } from '../../src/emulator/fakeGraphApi';
import { parseWebhook } from '../../src/webhook/parseWebhook';

describe("the demo's line for a message", () => {
  it('is one line whatever the text: a disclosure paragraph and the flow text joined by " / "', () => {
    expect(describeMessage('u1', { text: "You're chatting with a bot.\n\nHi Sam!\n  Pick one." })).toBe(
      "bot → u1: You're chatting with a bot. / Hi Sam! / Pick one.",
    );
    expect(describeMessage('u1', { text: 'Hi', quick_replies: [{ title: 'FAQ', content_type: 'text' }] })).toBe(
      'bot → u1: Hi  [FAQ]',
    );
  });
});

describe("the demo's lines for Comments to Messenger", () => {
  const call = (over: Partial<FakeCall>): FakeCall => ({
    method: 'POST',
    path: '/v26.0/me/messages',
    endpoint: 'messages',
    query: {},
    tokenIn: 'header',
    body: undefined,
    recipientId: undefined,
    at: 0,
    status: 200,
    response: {},
    ...over,
  });

  it('names the comment a private reply answers, and a public reply under it', () => {
    const privately = call({
      body: {
        recipient: { comment_id: '1_22' },
        messaging_type: 'RESPONSE',
        message: { text: 'From $54', quick_replies: [{ title: 'Shoes', content_type: 'text' }] },
      },
    });
    expect(describeCall(privately)).toBe('bot → comment 1_22: From $54  [Shoes]   (PRIVATE REPLY)');
    const publicly = call({ path: '/v26.0/1_22/comments', endpoint: 'comment_reply', body: { message: 'Sent you a message' } });
    expect(describeCall(publicly)).toBe('bot → under comment 1_22: Sent you a message   (PUBLIC REPLY)');
  });

  it('`send-event --comment` posts a feed webhook Talkshop reads as a comment by fb-<user>, not a PSID', () => {
    const parsed = parseWebhook(JSON.parse(commentBody('demo-page', 'ann', 'demo-page_1', 'price?', 1_732_400_000_000)), 0);
    expect(parsed.type === 'ok' && parsed.events.map((e) => [e.kind, e.userId, e.raw])).toEqual([
      [
        'comment',
        'feed:fb-ann',
        {
          comment: {
            item: 'comment',
            id: expect.stringMatching(/^1_\d+$/),
            post: 'demo-page_1',
            from: 'fb-ann',
            text: 'price?',
            created: 1_732_400_000_000,
          },
        },
      ],
    ]);
  });
});
