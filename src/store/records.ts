import { z } from 'zod';
import { StoreCorruptError } from '../errors';
import { EVENT_KINDS } from './messengerEvent';
import type { InboxRead, InboxRecord, SetAsideEntry, StoredEffect, ThreadMark } from './ports';

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

export const inboxRecordSchema = z.object({
  source: z.enum(['webhook', 'sender', 'admin', 'timer']),
  event: messengerEventSchema,
});

/**
 * The format of inbox records (webhook events, sender reports, admin commands, timers) this code
 * writes and reads. A new event kind needs no new format (older workers leave it for newer ones);
 * any other change to the record's shape does.
 */
export const INBOX_FORMAT = 1;

/** A format version; records written before formats were versioned have none and read as 1. */
const formatSchema = z.number().int().positive().default(1);
const versionedSchema = z.looseObject({ v: formatSchema });
const knownKinds: ReadonlySet<string> = new Set(EVENT_KINDS);

/** Any JSON value. Not `parseJson(z.unknown(), …)`: that built a schema per call, on every inbox item and outbox entry read. */
function parseAnyJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StoreCorruptError(where, 'not JSON');
  }
}

function parseJson<T>(schema: z.ZodType<T>, text: string, where: string): T {
  return parseValue(schema, parseAnyJson(text, where), where);
}

function parseValue<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new StoreCorruptError(where, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/** An inbox record as written: with the format version, so a later release can tell formats apart. */
export const encodeInboxRecord = (record: InboxRecord): string => JSON.stringify({ v: INBOX_FORMAT, ...record });

export type DecodedRecord =
  | { readonly type: 'record'; readonly record: InboxRecord }
  | { readonly type: 'unknown'; readonly reason: 'kind' | 'version'; readonly detail: string };

/**
 * Reads an inbox record. One from a newer Talkshop (a later format, or an event kind this code
 * does not know) is `unknown`, for the worker to leave in place; anything else unreadable throws.
 */
export function decodeInboxRecord(text: string, where: string): DecodedRecord {
  const value = parseAnyJson(text, where);
  // The version first: a later format may have changed anything else.
  const v = formatOf(value, where);
  if (v > INBOX_FORMAT) return { type: 'unknown', reason: 'version', detail: `format ${v}` };
  const kind = kindOf(value);
  if (kind !== undefined && !knownKinds.has(kind)) return { type: 'unknown', reason: 'kind', detail: kind };
  return { type: 'record', record: plainRecord(value) ?? parseValue(inboxRecordSchema, value, where) };
}

const SOURCES: ReadonlySet<unknown> = new Set(inboxRecordSchema.shape.source.options);
const CHANNELS: ReadonlySet<unknown> = new Set(messengerEventSchema.shape.channel.options);

/**
 * The usual record read by hand, as the schema would read it (the same fields, in the same order,
 * unknown ones left out), or undefined for the schema to say what is wrong. Every inbox item goes
 * through here, and the schema's copy of the record cost as much as the JSON parse before it.
 */
function plainRecord(value: unknown): InboxRecord | undefined {
  if (!isObject(value) || !SOURCES.has(value.source) || !isObject(value.event)) return undefined;
  const { kind, channel, pageId, userId, timestamp, dedupeKey, raw } = value.event;
  if (typeof kind !== 'string' || !knownKinds.has(kind) || !CHANNELS.has(channel)) return undefined;
  if (typeof pageId !== 'string' || typeof userId !== 'string' || typeof dedupeKey !== 'string') return undefined;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || !isObject(raw)) return undefined;
  // The schema's record leaves a "__proto__" key out (JSON.parse makes it an own field): let it decide.
  if (Object.hasOwn(raw, '__proto__')) return undefined;
  const event = { kind, channel, pageId, userId, timestamp, dedupeKey, raw } as InboxRecord['event'];
  return { source: value.source as InboxRecord['source'], event };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The record's format, as versionedSchema reads it. The usual record (an object with v 1, or none)
 * is read by hand: the schema's loose copy of every record cost as much as the parse that follows.
 */
function formatOf(value: unknown, where: string): number {
  if (isObject(value) && value.v === undefined) return 1;
  if (isObject(value) && Number.isSafeInteger(value.v) && (value.v as number) > 0) return value.v as number;
  return parseValue(versionedSchema, value, where).v;
}

/** The record's event kind (a string `event.kind`), or undefined: the full parse then says what is wrong. */
function kindOf(value: unknown): string | undefined {
  const event = isObject(value) ? value.event : undefined;
  return isObject(event) && typeof event.kind === 'string' ? event.kind : undefined;
}

/**
 * An inbox stream entry as the worker reads it: an item to apply, a record for a newer Talkshop,
 * or one nobody can read (`corrupt`, for the worker to set aside: throwing here would fail the
 * whole read, which spans every partition the worker holds).
 */
export function decodeInboxRead(id: string, partition: number, text: string, where: string): InboxRead {
  try {
    const decoded = decodeInboxRecord(text, where);
    return decoded.type === 'record' ? { type: 'item', id, partition, record: decoded.record } : { ...decoded, id, partition };
  } catch (err) {
    if (!(err instanceof StoreCorruptError)) throw err;
    return { type: 'corrupt', id, partition, detail: err.message };
  }
}

const setAsideSchema = z.object({
  i: z.string(),
  why: z.enum(['attempts', 'corrupt']),
  n: z.coerce.number().int().nonnegative(),
  d: z.string().default(''),
  r: z.string().default(''),
});

/** A set-aside entry's fields as the store keeps them. */
export function decodeSetAside(fields: Readonly<Record<string, string>>, where: string): SetAsideEntry {
  const f = parseValue(setAsideSchema, fields, where);
  return { itemId: f.i, reason: f.why, attempts: f.n, detail: f.d, raw: f.r };
}

/** An outbox entry's effect: its format version (none: 1) and its JSON, which the store does not read. */
export const decodeStoredEffect = (version: string | undefined, text: string, where: string): StoredEffect => ({
  v: parseValue(formatSchema, version === undefined ? undefined : Number(version), where),
  body: parseAnyJson(text, where),
});

const threadMarkSchema = z.object({
  state: z.string(),
  since: z.number(),
  lastInboundAt: z.number().nullable(),
  waitingSince: z.number().nullable().default(null),
});
export const decodeThreadMark = (text: string, where: string): ThreadMark => parseJson(threadMarkSchema, text, where);
export const decodeStateData = (text: string, where: string): unknown => parseAnyJson(text, where);

/**
 * Stream ids compare by (ms, seq); string order is wrong once the ms part grows a digit. Read
 * without splitting: the worker and the sender compare ids for every item and entry they handle.
 */
export function streamIdAfter(a: string, b: string): boolean {
  const ad = a.indexOf('-');
  const bd = b.indexOf('-');
  const ams = Number(ad < 0 ? a : a.slice(0, ad));
  const bms = Number(bd < 0 ? b : b.slice(0, bd));
  return ams !== bms ? ams > bms : seqOf(a, ad) > seqOf(b, bd);
}

/** The part after the first '-' (up to a second one), as a number; 0 when there is none. */
function seqOf(id: string, dash: number): number {
  if (dash < 0) return 0;
  const end = id.indexOf('-', dash + 1);
  return Number(end < 0 ? id.slice(dash + 1) : id.slice(dash + 1, end));
}
