import { initialCommentLaneState } from '../../src/engine/commentEvents';
import { initialUserState } from '../../src/engine/userState';
import { flowHandler } from '../../src/runtime/flowHandler';
import { isCommentLane, withComments } from '../../src/runtime/commentLane';
import type { InboxItem } from '../../src/store/ports';
import type { MessengerEvent } from '../../src/store/messengerEvent';
import { flowSet, T0 } from '../engine/engineFixtures';

const flows = flowSet([
  {
    id: 'shop',
    start: 'welcome',
    triggers: [{ keyword: 'hi' }, { comment: { keywords: ['price'] }, goto: 'price' }],
    nodes: {
      welcome: { say: [{ text: 'Welcome!' }] },
      price: { say: [{ text: 'From $54', quick_replies: [{ title: 'Shoes', goto: 'welcome' }] }] },
    },
  },
]);
const handler = withComments(flowHandler(flows), flows);

const item = (event: Partial<MessengerEvent>): InboxItem =>
  ({
    id: '1-0',
    partition: 0,
    attempts: 0,
    record: {
      source: 'webhook',
      event: {
        kind: 'message',
        channel: 'messaging',
        pageId: 'p',
        userId: 'u1',
        timestamp: T0,
        dedupeKey: 'k',
        raw: {},
        ...event,
      },
    },
  }) as unknown as InboxItem;
const commentItem = (text: string, raw?: unknown) =>
  item({
    kind: 'comment',
    userId: 'feed:42',
    dedupeKey: 'comment:1_2',
    raw: { comment: raw ?? { item: 'comment', id: '1_2', post: 'p_1', from: '42', text, created: T0 - 1000 } },
  });

describe('comment lanes beside the users’ lanes (withComments)', () => {
  it('answers a comment in a lane of its own, whose state is not a user’s', () => {
    const result = handler.handle(handler.decode(null), commentItem('price?'), T0);
    expect(result.effects.map((e) => e.type)).toEqual(['private_reply']);
    expect(isCommentLane(result.state)).toBe(true);
    // Stored and read back as a comment lane.
    expect(handler.decode(JSON.parse(JSON.stringify(result.state)))).toEqual(result.state);
  });

  it('keeps nothing for a comment no trigger hears, nor for an unreadable one', () => {
    expect(handler.handle(handler.decode(null), commentItem('lovely'), T0)).toMatchObject({ effects: [], keep: false });
    expect(handler.handle(handler.decode(null), commentItem('price', { id: 5 }), T0)).toMatchObject({ effects: [], keep: false });
  });

  it('keeps a comment lane out of thread lists and audiences, and forgets it 8 days after its last answer', () => {
    const lane = { ...initialCommentLaneState(), answered: [{ id: '1_2', at: T0, private: true }] };
    expect(handler.threadMark?.(lane)).toBeNull();
    expect(handler.audienceCard?.(lane)).toBeNull();
    expect(handler.expireAt?.(lane, T0 + 5)).toBe(T0 + 8 * 24 * 3600_000);
    expect(typeof handler.sendFacts?.(lane)).toBe('string');
  });

  it('leaves every other event to the flow handler, unchanged', () => {
    const user = handler.handle(initialUserState(), item({ raw: { message: { mid: 'm1', text: 'hi' } } }), T0);
    expect(isCommentLane(user.state)).toBe(false);
    expect(user.effects.some((e) => e.type === 'send')).toBe(true);
    expect(handler.audienceCard?.(user.state)).not.toBeNull();
  });

  it('ignores anything but a comment that reaches a comment lane', () => {
    const lane = initialCommentLaneState();
    expect(handler.handle(lane, item({ userId: 'feed:42', raw: { message: { mid: 'm2', text: 'hi' } } }), T0)).toEqual({
      state: lane,
      effects: [],
      keep: false,
    });
  });
});
