import { z } from 'zod';
import { StoreCorruptError } from '../errors';
import { BROADCAST_STATUSES, type BroadcastRecord, type BroadcastStatus, type FanoutPosition } from './ports';

/**
 * A broadcast record as both adapters keep it: one flat hash of short fields (keys.ts `broadcast`),
 * so the status and the campaign can be changed one field at a time by a script.
 */
const ACTIVE: ReadonlySet<BroadcastStatus> = new Set(['scheduled', 'running', 'paused']);

/** Whether the pumps look at a broadcast in this status (it belongs in the active set). */
export const isActiveBroadcast = (status: BroadcastStatus): boolean => ACTIVE.has(status);

/** The record's hash fields, as [field, value] pairs; the campaign only once there is one. */
export function broadcastFields(record: BroadcastRecord): Array<[string, string]> {
  const fields: Array<[string, string]> = [
    ['d', record.definition],
    ['s', record.status],
    ['c', String(record.createdAt)],
    ['b', record.createdBy],
    ['t', String(record.startAt)],
    ['u', String(record.updatedAt)],
  ];
  if (record.campaign !== undefined) fields.push(['m', record.campaign]);
  return fields;
}

const msSchema = z
  .string()
  .regex(/^-?\d+$/, 'expected whole milliseconds')
  .transform(Number);
const fieldsSchema = z.object({
  d: z.string(),
  s: z.enum(BROADCAST_STATUSES),
  c: msSchema,
  b: z.string(),
  t: msSchema,
  u: msSchema,
  m: z.string().optional(),
});

/** A stored record read back; data another version or a hand edit left unreadable throws StoreCorruptError. */
export function decodeBroadcastFields(id: string, fields: Readonly<Record<string, string>>, where: string): BroadcastRecord {
  const parsed = fieldsSchema.safeParse(fields);
  if (!parsed.success)
    throw new StoreCorruptError(where, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const f = parsed.data;
  return {
    id,
    definition: f.d,
    status: f.s,
    createdAt: f.c,
    createdBy: f.b,
    startAt: f.t,
    updatedAt: f.u,
    ...(f.m === undefined ? {} : { campaign: f.m }),
  };
}

/** The statistic field prefix of a broadcast (`<id>|`): the counters of one broadcast are the fields that start with it. */
export const broadcastStatPrefix = (id: string): string => `${id}|`;

/** A fan-out position as the store keeps it: 'done', 'drain', or the audience cursor (digits). */
export const encodeFanout = (p: FanoutPosition): string => (p.type === 'at' ? p.cursor : p.type === 'done' ? 'done' : 'drain');

export function decodeFanout(value: string | undefined | null): FanoutPosition {
  if (value === 'done') return { type: 'done' };
  if (value === 'drain') return { type: 'draining' };
  return { type: 'at', cursor: typeof value === 'string' ? value : '0' };
}
