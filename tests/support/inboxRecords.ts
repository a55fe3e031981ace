import type { InboxRecord } from '../../src/store/ports';

/** A webhook text message from `userId` on Page `p` as the inbox keeps it; `n` makes it unique (mid, timestamp). */
export const textRecord = (userId: string, n: number, text: string): InboxRecord => ({
  source: 'webhook',
  event: {
    kind: 'message',
    channel: 'messaging',
    pageId: 'p',
    userId,
    timestamp: n,
    dedupeKey: `mid:${userId}:${n}`,
    raw: { message: { mid: `m${n}`, text } },
  },
});

/** The text of a record made by textRecord (undefined for other records). */
export const textOf = (r: InboxRecord): string | undefined => (r.event.raw as { message?: { text?: string } }).message?.text;
