import pino from 'pino';
import { createMetrics } from '../../src/metrics';
import { deliverCommentReply, deliverPrivateReply } from '../../src/runtime/commentDelivery';
import type { SenderOptions } from '../../src/runtime/senderOptions';
import { useFakeGraph } from '../support/fakeGraph';

/** The sender's private and public replies to comments, through the real client and the real fake Graph API. */
const DAY = 24 * 3600_000;
/** The fake's and the sender's time: fixed, so a comment's age is what the test gives it. */
const clock = Date.UTC(2026, 10, 30, 12);
const { fake, graph } = useFakeGraph(() => clock);

describe('the sender’s comment deliveries', () => {
  const options = (): SenderOptions =>
    ({
      graph: graph(),
      now: () => clock,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics(),
    }) as unknown as SenderOptions;
  const entry = <E>(effect: E) => ({ id: '1-0', userKey: 'p:feed:f1', itemId: '1-0', effect });
  const grant = () => Promise.resolve(0);
  const privately = (created: number) =>
    entry({ type: 'private_reply' as const, to: { comment_id: '5_1' }, message: { text: 'hi' }, created, name: 'shop/price' });

  it('sends a private reply once; Meta’s 10900 on a second try ends it as already_replied', async () => {
    expect(await deliverPrivateReply(options(), privately(clock), grant)).toEqual({ type: 'done', outcome: 'sent' });
    expect(await deliverPrivateReply(options(), privately(clock), grant)).toEqual({ type: 'done', outcome: 'already_replied' });
  });

  it('does not call Meta for a comment that passed 7 days while it waited, nor without a rate token', async () => {
    expect(await deliverPrivateReply(options(), privately(clock - 7 * DAY - 1), grant)).toEqual({
      type: 'done',
      outcome: 'too_old',
    });
    expect(await deliverPrivateReply(options(), privately(clock), () => Promise.resolve(250))).toEqual({
      type: 'retry',
      ms: 250,
      why: 'rate_limit',
    });
    expect(fake().calls).toHaveLength(0);
  });

  it('a public reply that may have reached Meta is never tried again; a rate-limited one is', async () => {
    const publicly = entry({ type: 'comment_reply' as const, id: '5_1', text: 'Sent you a message!' });
    fake().fail.nextRequests(1); // HTTP 500: posted or not, nobody knows
    expect(await deliverCommentReply(options(), publicly)).toEqual({ type: 'done', outcome: 'uncertain' });
    fake().fail.nextRequests(1, { code: 613 });
    await expect(deliverCommentReply(options(), publicly)).rejects.toMatchObject({ graphCode: 613 });
    expect(await deliverCommentReply(options(), publicly)).toEqual({ type: 'done', outcome: 'sent' });
    expect(fake().comments.publicReplies).toHaveLength(1);
  });
});
