import { z } from 'zod';
import { StoreCorruptError } from '../errors';
import { EVENT_KINDS } from './messengerEvent';
import type { Effect, InboxRecord, ThreadMark } from './ports';

/**
 * Schemas for what the store hands back. Data read from Redis is an edge like any other: it may
 * have been written by another Talkshop version or edited by hand, so it is validated on read.
 */
const messengerEventSchema = z.object({
  kind: z.enum(EVENT_KINDS),
  channel: z.enum(['messaging', 'standby']),
  pageId: z.string(),
  userId: z.string(),
  timestamp: z.number(),
  dedupeKey: z.string(),
  raw: z.record(z.string(), z.unknown()),
});

const inboxRecordSchema = z.object({ source: z.enum(['webhook', 'sender', 'admin', 'timer']), event: messengerEventSchema });
const effectSchema = z.looseObject({ type: z.string() });

function parseJson<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StoreCorruptError(where, 'not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new StoreCorruptError(where, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

export const decodeInboxRecord = (text: string, where: string): InboxRecord => parseJson(inboxRecordSchema, text, where);
export const decodeEffect = (text: string, where: string): Effect => parseJson(effectSchema, text, where);
const threadMarkSchema = z.object({
  state: z.string(),
  since: z.number(),
  lastInboundAt: z.number().nullable(),
  waitingSince: z.number().nullable().default(null),
});
export const decodeThreadMark = (text: string, where: string): ThreadMark => parseJson(threadMarkSchema, text, where);
export const decodeStateData = (text: string, where: string): unknown => parseJson(z.unknown(), text, where);

/** Stream ids compare by (ms, seq); string order is wrong once the ms part grows a digit. */
export function streamIdAfter(a: string, b: string): boolean {
  const [ams = 0, aseq = 0] = a.split('-').map(Number);
  const [bms = 0, bseq = 0] = b.split('-').map(Number);
  return ams !== bms ? ams > bms : aseq > bseq;
}
