import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWebhook } from '../../src/webhook/parseWebhook';
import { toFeedEvent } from '../../src/webhook/parseFeed';

const fixture = (): unknown =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'webhooks', 'feed-comments.json'), 'utf8'));

const accept = { pageId: 'PAGE_ID', oldestMs: 0, maxEvents: 100 };

const comment = (value: Record<string, unknown>) => ({
  field: 'feed',
  value: {
    from: { id: '111', name: 'Someone' },
    post_id: 'PAGE_ID_9',
    comment_id: '9_1',
    created_time: 1732400000,
    item: 'comment',
    verb: 'add',
    message: 'price?',
    ...value,
  },
});

describe('feed changes (comments and visitor posts)', () => {
  it('reads the fixture: a comment and a visitor post, the rest ignored by reason', () => {
    const r = parseWebhook(fixture(), 42, accept);
    if (r.type !== 'ok') throw new Error(JSON.stringify(r));
    expect(r.events.map((e) => [e.kind, e.channel, e.userId, e.dedupeKey, e.timestamp])).toEqual([
      ['comment', 'messaging', 'feed:24242424242424242', 'comment:1111111111111111_2222222222222222', 1732400090000],
      ['comment', 'messaging', 'feed:4646464646', 'post:PAGE_ID_5555555555555555', 1732400190000],
    ]);
    expect(r.events[0]?.raw).toEqual({
      comment: {
        item: 'comment',
        id: '1111111111111111_2222222222222222',
        post: 'PAGE_ID_1111111111111111',
        from: '24242424242424242',
        text: 'price?',
        created: 1732400090000,
      },
    });
    // The Page's own reply, the edit, the removal, the reaction and the ratings change.
    expect(r.ignored).toEqual(['feed_own', 'feed_changed', 'feed_changed', 'feed_other', 'feed_other']);
  });

  it("ignores the Page's own comments and replies", () => {
    expect(toFeedEvent(comment({ from: { id: 'PAGE_ID' } }), 'PAGE_ID', 0)).toBe('feed_own');
  });

  it('ignores edits and removals: only a new comment starts anything', () => {
    for (const verb of ['edited', 'edit', 'remove', 'hide', 'unhide'])
      expect(toFeedEvent(comment({ verb }), 'PAGE_ID', 0)).toBe('feed_changed');
  });

  it('caps what it reads: long text is cut, odd or huge ids refused', () => {
    const long = toFeedEvent(comment({ message: 'x'.repeat(50_000) }), 'PAGE_ID', 0);
    if (typeof long === 'string') throw new Error(long);
    expect([...(long.raw.comment as { text: string }).text].length).toBe(2000);
    expect(toFeedEvent(comment({ comment_id: 'a'.repeat(129) }), 'PAGE_ID', 0)).toBe('feed_unreadable');
    expect(toFeedEvent(comment({ comment_id: '9_1/../x' }), 'PAGE_ID', 0)).toBe('feed_unreadable');
    expect(toFeedEvent(comment({ from: undefined }), 'PAGE_ID', 0)).toBe('feed_unreadable');
    expect(toFeedEvent(comment({ message: { nested: true } }), 'PAGE_ID', 0)).toBe('feed_unreadable');
    expect(toFeedEvent({ field: 'feed', value: 'nonsense' }, 'PAGE_ID', 0)).toBe('feed_unreadable');
    expect(toFeedEvent('nonsense', 'PAGE_ID', 0)).toBe('feed_other');
  });

  it('dedupes by the comment id, whatever else the redelivery carries', () => {
    const a = toFeedEvent(comment({}), 'PAGE_ID', 0);
    const b = toFeedEvent(comment({ message: 'price?', post: { id: 'PAGE_ID_9', updated_time: 'later' } }), 'PAGE_ID', 5);
    if (typeof a === 'string' || typeof b === 'string') throw new Error('expected events');
    expect(a.dedupeKey).toBe('comment:9_1');
    expect(b.dedupeKey).toBe(a.dedupeKey);
  });

  it('counts changes toward the per-body event cap, and ignores other Pages', () => {
    const body = { object: 'page', entry: [{ id: 'PAGE_ID', time: 1, changes: Array.from({ length: 3 }, () => comment({})) }] };
    expect(parseWebhook(body, 0, { ...accept, maxEvents: 2 })).toEqual({ type: 'too_many', count: 3 });
    const other = parseWebhook({ ...body, entry: [{ ...body.entry[0], id: 'OTHER' }] }, 0, accept);
    expect(other).toEqual({ type: 'ok', events: [], ignored: ['other_page', 'other_page', 'other_page'] });
  });

  it('does not apply the dedupe-window age to a comment: the 7-day rule is the comment lane’s', () => {
    const r = parseWebhook({ object: 'page', entry: [{ id: 'PAGE_ID', time: 1, changes: [comment({})] }] }, 0, {
      ...accept,
      oldestMs: Date.now(),
    });
    expect(r.type === 'ok' && r.events.length).toBe(1);
  });
});
