import type { AppendRequest, InboxRecord } from '../../src/store/ports';

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

/**
 * An append of the text 'hi' from user 'u' on Page 'page' with the message id `mid` (its dedupe
 * key `mid:<mid>`) and the timestamp 1_700_000_000_000 + n.
 */
export const hiAppend = (mid: string, n: number, partition = 0): AppendRequest => ({
  partition,
  dedupeKey: `mid:${mid}`,
  record: {
    source: 'webhook',
    event: {
      kind: 'message',
      channel: 'messaging',
      pageId: 'page',
      userId: 'u',
      timestamp: 1_700_000_000_000 + n,
      dedupeKey: `mid:${mid}`,
      raw: { message: { mid, text: 'hi' } },
    },
  },
});
