import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { failedTotal, skippedTotal, type BroadcastView } from '../broadcasts/broadcastCounts';
import { formatProblem, type Problem } from '../flows/problem';
import { BROADCAST_STATUSES } from '../store/ports';
import { formatProgressLine, formatSummary, sendRate, type Sample } from './broadcastSummary';

/*
 * `talkshop send-broadcast`: a broadcast file through a running service's admin API (the demo's,
 * with --demo), then its statistics as they move. The admin API is the only way in when the
 * service runs on the in-memory store (the demo): the broadcasts live inside its process.
 */

export interface SendBroadcastOptions {
  readonly file: string;
  /** The admin listener's base URL, e.g. http://127.0.0.1:3001 */
  readonly adminUrl: string;
  readonly token: string;
  /** Replaces the file's id (an id is sent at most once per user, so a second run needs a new one). */
  readonly id?: string;
  readonly pollMs: number;
  /** After the sending finished, how long to keep following delivered and read before the summary. */
  readonly followMs: number;
  readonly out: NodeJS.WritableStream;
  /** Why it was refused. */
  readonly err: NodeJS.WritableStream;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** 0 done; 1 refused (invalid, exists, unreachable); 2 the file or the broadcast is not there. */
export type SendBroadcastExit = 0 | 1 | 2;

const count = z.number().int().min(0);
const countsSchema = z.object({
  targeted: count,
  queued: count,
  sent: count,
  skipped: z.record(z.string(), count),
  failed: z.record(z.string(), count),
  delivered: count,
  read: count,
  clicked: count,
  replied: count,
  repeat: count,
});
const rate = z.number().nullable();
/** The admin API's report (BroadcastView), checked before anything is printed from it. */
const viewSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  kind: z.string().nullable(),
  status: z.enum(BROADCAST_STATUSES),
  createdAt: z.number(),
  createdBy: z.string(),
  startAt: z.number(),
  updatedAt: z.number(),
  campaign: z.string().optional(),
  counts: countsSchema,
  progress: z.object({ partitionsWalked: count, partitions: count, inFlight: count, finished: z.boolean() }),
  rates: z.object({ delivered: rate, read: rate, clicked: rate, replied: rate }),
}) satisfies z.ZodType<BroadcastView>;

const problemSchema = z.object({
  severity: z.enum(['error', 'warning']),
  file: z.string(),
  line: z.number().optional(),
  flow: z.string().optional(),
  node: z.string().optional(),
  message: z.string(),
  fix: z.string(),
}) satisfies z.ZodType<Problem>;
const errorSchema = z.object({ message: z.string(), problems: z.array(problemSchema).optional() });

class Refused extends Error {
  constructor(
    message: string,
    readonly exit: SendBroadcastExit,
  ) {
    super(message);
  }
}

async function call(o: SendBroadcastOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(`${o.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${o.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    const why = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Refused(`no admin API at ${o.adminUrl} (${why}): is the service (\`npm run demo\`) running?`, 1);
  }
}

async function viewOf(res: Response): Promise<BroadcastView> {
  const parsed = viewSchema.safeParse(await res.json());
  if (!parsed.success) throw new Refused(`the admin API answered an unexpected report: ${parsed.error.message}`, 1);
  return parsed.data;
}

async function refusal(res: Response, o: SendBroadcastOptions, id: string | undefined): Promise<Refused> {
  const text = await res.text();
  let parsed: z.infer<typeof errorSchema> | undefined;
  try {
    parsed = errorSchema.parse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  const lines = [`${res.status}: ${parsed?.message ?? text.slice(0, 300)}`];
  for (const p of parsed?.problems ?? []) lines.push(formatProblem({ ...p, file: o.file }));
  if (res.status === 409) lines.push(`Send it again under a new id: --id ${id ?? 'broadcast'}-2`);
  if (res.status === 401 || res.status === 403) lines.push('Check the admin token (the demo uses its own: --demo).');
  return new Refused(lines.join('\n'), 1);
}

/** The file's text, with its id replaced when asked (comments and lines kept, so problems point at the file). */
async function definitionOf(o: SendBroadcastOptions): Promise<{ text: string; id: string | undefined }> {
  let text: string;
  try {
    text = await readFile(o.file, 'utf8');
  } catch (err) {
    throw new Refused(`cannot read ${o.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
  }
  const doc = parseDocument(text);
  if (o.id !== undefined && doc.errors.length === 0) {
    doc.set('id', o.id);
    text = doc.toString();
  }
  const id = doc.get('id');
  return { text, id: typeof id === 'string' ? id : undefined };
}

const doneOf = (v: BroadcastView) => v.counts.sent + skippedTotal(v.counts) + failedTotal(v.counts);
const reactions = (v: BroadcastView) => `delivered ${v.counts.delivered} | read ${v.counts.read}`;
/** Every sent message's delivery and read arrived (they may never, outside the demo: hence followMs). */
const allSeen = (v: BroadcastView) => v.counts.delivered >= v.counts.sent && v.counts.read >= v.counts.sent;

/**
 * Creates the broadcast, prints a line a poll (sent, skipped, failed, rate, delivered, read) until
 * the sending finished, keeps following delivered and read for up to followMs, then prints the
 * summary table.
 */
export async function sendBroadcast(o: SendBroadcastOptions): Promise<SendBroadcastExit> {
  try {
    const { text, id } = await definitionOf(o);
    const created = await call(o, 'POST', '/admin/broadcasts', { definition: text });
    if (created.status !== 201) throw await refusal(created, o, id);
    let view = await viewOf(created);
    o.out.write(`created broadcast ${view.id} (${view.status})\n`);
    const path = `/admin/broadcasts/${encodeURIComponent(view.id)}`;
    const samples: Sample[] = [];
    let finishedAt: number | undefined;
    for (;;) {
      const at = o.now();
      samples.push({ at, done: doneOf(view) });
      if (samples.length > 60) samples.shift();
      o.out.write(`${view.id}: ${formatProgressLine(view, sendRate(samples))} | ${reactions(view)}\n`);
      if (view.progress.finished) finishedAt ??= at;
      if (finishedAt !== undefined && (view.counts.sent === 0 || allSeen(view) || at - finishedAt >= o.followMs)) break;
      await o.sleep(o.pollMs);
      const res = await call(o, 'GET', path);
      if (res.status === 404) throw new Refused(`broadcast ${view.id} is gone (did the service restart?)`, 2);
      if (res.status !== 200) throw await refusal(res, o, view.id);
      view = await viewOf(res);
    }
    o.out.write(`\n${formatSummary(view)}`);
    if (!allSeen(view)) o.out.write(`(deliveries and reads still arriving: GET ${o.adminUrl}${path} shows them as they come)\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof Refused)) throw err;
    o.err.write(`send-broadcast: ${err.message}\n`);
    return err.exit;
  }
}
