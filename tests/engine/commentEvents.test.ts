import {
  ANSWERED_MEMORY_MS,
  initialCommentLaneState,
  onComment,
  PRIVATE_REPLY_WINDOW_MS,
  type CommentSeen,
} from '../../src/engine/commentEvents';
import { DAY_MS } from '../../src/platform/messagingRules';
import { flowSet, T0 } from './engineFixtures';

const shop = {
  id: 'shop',
  start: 'welcome',
  triggers: [
    { keyword: 'hi' },
    { comment: { keywords: ['price', 'how much'], reply: 'Check your messages, {{first_name}}!' }, goto: 'price' },
    { comment: { keywords: ['size'], post: '111_222' }, goto: 'sizes' },
  ],
  nodes: {
    welcome: { say: [{ text: 'Hi!' }] },
    price: {
      say: [{ typing: 300 }, { text: 'From $54. Want to see them?', quick_replies: [{ title: 'Shoes', goto: 'shoes' }] }],
    },
    sizes: { say: [{ text: 'Sizes 35 to 48.', buttons: [{ title: 'Shoes', goto: 'shoes' }] }] },
    shoes: { say: [{ text: 'Here they are.' }] },
  },
};
const flows = flowSet([shop]);

const comment = (over: Partial<CommentSeen> = {}): CommentSeen => ({
  item: 'comment',
  id: '111_333',
  post: 'PAGE_111',
  text: 'Price?',
  created: T0 - 60_000,
  ...over,
});

describe('the comment lane engine', () => {
  it('answers a matching comment with one private reply (the node’s message, its quick replies into the flow) and the public reply', () => {
    const r = onComment(flows, initialCommentLaneState(), comment(), T0);
    expect(r.effects).toEqual([
      {
        type: 'private_reply',
        to: { comment_id: '111_333' },
        message: {
          text: 'From $54. Want to see them?',
          quick_replies: [{ content_type: 'text', title: 'Shoes', payload: 'TS|shop|price|s1q0' }],
        },
        created: T0 - 60_000,
        name: 'shop/price',
      },
      // The commenter has no fields: the settings' default fills {{first_name}}.
      { type: 'comment_reply', id: '111_333', text: 'Check your messages, there!' },
    ]);
    expect(r.state.answered).toEqual([{ id: '111_333', at: T0, private: true }]);
  });

  it('answers a visitor post by post_id, and only triggers for any post hear it', () => {
    const r = onComment(
      flows,
      initialCommentLaneState(),
      comment({ item: 'post', id: 'PAGE_555', post: 'PAGE_555', text: 'how much are the trail shoes' }),
      T0,
    );
    expect(r.effects[0]).toMatchObject({ type: 'private_reply', to: { post_id: 'PAGE_555' } });
    const size = onComment(
      flows,
      initialCommentLaneState(),
      comment({ item: 'post', id: 'PAGE_556', post: 'PAGE_556', text: 'size?' }),
      T0,
    );
    expect(size.heard).toBe(false);
  });

  it('a trigger for one post hears only comments on that post', () => {
    const on = onComment(flows, initialCommentLaneState(), comment({ post: '111_222', text: 'what size' }), T0);
    expect(on.effects).toEqual([expect.objectContaining({ type: 'private_reply', name: 'shop/sizes' })]);
    const off = onComment(flows, initialCommentLaneState(), comment({ post: '999_999', text: 'what size' }), T0);
    expect(off).toEqual({ state: initialCommentLaneState(), effects: [], heard: false });
  });

  it('matches whole words: a comment that only contains a keyword inside another word is not heard', () => {
    expect(onComment(flows, initialCommentLaneState(), comment({ text: 'priceless view' }), T0).heard).toBe(false);
  });

  it('sends nothing for a comment older than 7 days, and counts it', () => {
    const r = onComment(flows, initialCommentLaneState(), comment({ created: T0 - PRIVATE_REPLY_WINDOW_MS - 1 }), T0);
    expect(r.effects).toEqual([{ type: 'comment_skipped', reason: 'too_old' }]);
    expect(r.state).toEqual(initialCommentLaneState());
    // Exactly 7 days is still in time.
    const edge = onComment(flows, initialCommentLaneState(), comment({ created: T0 - PRIVATE_REPLY_WINDOW_MS }), T0);
    expect(edge.effects[0]?.type).toBe('private_reply');
  });

  it('answers one comment once, even when it comes again (a redelivery past the inbox dedupe window)', () => {
    const first = onComment(flows, initialCommentLaneState(), comment(), T0);
    const again = onComment(flows, first.state, comment(), T0 + 3 * DAY_MS);
    expect(again.effects).toEqual([{ type: 'comment_skipped', reason: 'already_answered' }]);
    expect(again.state).toBe(first.state);
  });

  it('a second matching comment of the same person on another post within 24 h: the public reply, no second private reply', () => {
    const first = onComment(flows, initialCommentLaneState(), comment(), T0);
    const second = onComment(flows, first.state, comment({ id: '777_888', post: 'PAGE_777' }), T0 + 3_600_000);
    expect(second.effects).toEqual([
      { type: 'comment_skipped', reason: 'capped' },
      { type: 'comment_reply', id: '777_888', text: 'Check your messages, there!' },
    ]);
    expect(second.state.answered.map((a) => [a.id, a.private])).toEqual([
      ['111_333', true],
      ['777_888', false],
    ]);
    // A day after the first private reply, a new comment gets its own.
    const later = onComment(flows, second.state, comment({ id: '777_999', post: 'PAGE_777', created: T0 + DAY_MS }), T0 + DAY_MS);
    expect(later.effects[0]).toMatchObject({ type: 'private_reply', to: { comment_id: '777_999' } });
  });

  it('lets the settings allow more private replies per person per day', () => {
    const generous = flowSet([shop], { comments: { private_replies_per_day: 2 } });
    const first = onComment(generous, initialCommentLaneState(), comment(), T0);
    const second = onComment(generous, first.state, comment({ id: '777_888' }), T0 + 1000);
    expect(second.effects[0]?.type).toBe('private_reply');
    const third = onComment(generous, second.state, comment({ id: '777_889' }), T0 + 2000);
    expect(third.effects[0]).toEqual({ type: 'comment_skipped', reason: 'capped' });
  });

  it('opens the private reply with the disclosure when the settings ask for one', () => {
    const disclosed = flowSet([shop], { disclosure: { enabled: true } });
    const r = onComment(disclosed, initialCommentLaneState(), comment(), T0);
    const reply = r.effects[0];
    if (reply?.type !== 'private_reply' || !('text' in reply.message)) throw new Error('expected a text private reply');
    expect(reply.message.text).toMatch(/automated assistant[\s\S]*\n\nFrom \$54/);
  });

  it('forgets answered comments after 8 days, and keeps at most 200', () => {
    let state = initialCommentLaneState();
    for (let i = 0; i < 205; i++) state = onComment(flows, state, comment({ id: `c_${i}` }), T0 + i).state;
    expect(state.answered).toHaveLength(200);
    const late = onComment(
      flows,
      state,
      comment({ id: 'c_new', created: T0 + ANSWERED_MEMORY_MS }),
      T0 + ANSWERED_MEMORY_MS + 300,
    );
    expect(late.state.answered.map((a) => a.id)).toEqual(['c_new']);
  });

  it('leaves the state it was given untouched (pure)', () => {
    const prior = initialCommentLaneState();
    const frozen = JSON.stringify(prior);
    onComment(flows, prior, comment(), T0);
    expect(JSON.stringify(prior)).toBe(frozen);
  });
});
