import { StoreCorruptError } from '../../errors';

export interface StreamEntry {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

const isArray = Array.isArray as (v: unknown) => v is unknown[];

/** Parses a raw RESP2 XRANGE reply: [[id, [field, value, …]], …]. */
export function parseEntries(reply: unknown, where: string): StreamEntry[] {
  if (!isArray(reply)) throw new StoreCorruptError(where, 'expected a stream reply');
  return reply.map((raw) => {
    if (!isArray(raw) || typeof raw[0] !== 'string' || !isArray(raw[1])) throw new StoreCorruptError(where, 'bad stream entry');
    const flat = raw[1];
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
    return { id: raw[0], fields };
  });
}

/** Splits a raw XREAD reply ([[key, entries], …] or null) into (key, entries) pairs. */
export function streamsOf(reply: unknown): Array<[string, unknown]> {
  if (!isArray(reply)) return [];
  return reply.flatMap((s): Array<[string, unknown]> => (isArray(s) && typeof s[0] === 'string' ? [[s[0], s[1]]] : []));
}
