import type { Request, Response } from 'express';
import { z } from 'zod';
import { decodeUserState } from '../engine/userState';
import { DAY_MS, HUMAN_AGENT_MS, MESSAGING_WINDOW } from '../platform/messagingRules';
import { LIMITS } from '../platform/sendApiSchema';
import { partitionOf, psidOf, userKeyOf } from '../store/partitionOf';
import type { Store } from '../store/ports';
import type { AdminAction } from './adminRoutes';
import { audienceCountHandler } from './audienceRoute';
import { unmatchedInsightsHandler } from './insightsRoute';
import { broadcastHandlers, type BroadcastRouteDeps } from './broadcastRoutes';
import { sequenceHandlers, type SequenceRouteDeps } from './sequenceRoutes';
import { enqueueCommand, enqueueForget, exportUser } from './userRecord';

export interface AdminHandlerDeps extends BroadcastRouteDeps, Pick<SequenceRouteDeps, 'flows'> {
  readonly store: Store;
  readonly pageId: string;
  readonly partitions: number;
  readonly now: () => number;
}

/** Answers one admin request; authentication, the role check and the body were done before (adminApp.ts). */
export type AdminHandler = (req: Request, res: Response, params: Readonly<Record<string, string>>) => Promise<void>;

const psidParam = z.object({ psid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a PSID (letters, digits, _ or -)') });
const replyBody = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(LIMITS.text, `must be at most ${LIMITS.text} characters`),
});
const consentBody = z.strictObject({
  topic: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  subscribed: z.boolean({ error: 'must be true or false' }),
});
/** Who asked, as the gate recorded it (adminApp.ts): the token's name and the request id of the audit line. */
const callerOf = (res: Response) => {
  const locals = res.locals as { requestId?: unknown; audit?: { token?: unknown } };
  return {
    token: typeof locals.audit?.token === 'string' ? locals.audit.token : 'unknown',
    requestId: typeof locals.requestId === 'string' ? locals.requestId : undefined,
  };
};
const LISTED = ['handing_over', 'human', 'paused'] as const;
const threadsQuery = z.strictObject({
  state: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',') : [...LISTED]))
    .pipe(z.array(z.enum(LISTED, { error: `expected one or more of ${LISTED.join(', ')}, comma-separated` }))),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
function badRequest(res: Response, error: z.ZodError, where: 'path' | 'body' | 'query'): void {
  const issue = error.issues[0];
  // A query parameter is named as given (state, not state.0 for the first of a comma list).
  const field = (where === 'query' ? issue?.path.slice(0, 1) : issue?.path)?.join('.') || where;
  res.status(400).json({ error: 'bad_request', field, message: `${where} field "${field}": ${issue?.message ?? 'invalid'}` });
}

/**
 * The admin API's handlers, one per row of ADMIN_ROUTES, every input validated. Commands never
 * touch a user's state directly: they are appended to the user's inbox partition, so they are
 * ordered with everything the customer does (and a command and a message arriving together cannot race).
 */
export function createAdminHandlers(deps: AdminHandlerDeps): Record<AdminAction, AdminHandler> {
  const locate = (psid: string) => ({
    partition: partitionOf(deps.pageId, psid, deps.partitions),
    userKey: userKeyOf(deps.pageId, psid),
  });
  const load = async (psid: string) => {
    const { partition, userKey } = locate(psid);
    const stored = await deps.store.states.load(partition, userKey);
    return stored.version === 0 ? undefined : { version: stored.version, state: decodeUserState(stored.data) };
  };
  const address = (psid: string) => ({ pageId: deps.pageId, partitions: deps.partitions, psid });
  const enqueue = (psid: string, raw: Record<string, unknown>) => enqueueCommand(deps.store, address(psid), deps.now(), raw);

  const notFound = (res: Response, psid: string) =>
    void res.status(404).json({ error: 'not_found', message: `No conversation with ${psid} on this Page` });
  const command = (command: 'pause' | 'resume'): AdminHandler => {
    return async (_req, res, params) => {
      const p = psidParam.safeParse(params);
      if (!p.success) return badRequest(res, p.error, 'path');
      if (!(await load(p.data.psid))) return notFound(res, p.data.psid);
      await enqueue(p.data.psid, { command });
      res.status(202).json({ queued: command });
    };
  };

  // Who is waiting for a person: unanswered customers first, longest waiting first, then the
  // rest by how long they have been away from the bot. Reads each partition's thread list
  // (written in the same commit as the states): one small read per partition, not a scan.
  const listThreads: AdminHandler = async (req, res) => {
    const q = threadsQuery.safeParse(req.query);
    if (!q.success) return badRequest(res, q.error, 'query');
    const wanted = new Set<string>(q.data.state);
    const lists = await Promise.all(Array.from({ length: deps.partitions }, (_, p) => deps.store.states.threads(p)));
    const now = deps.now();
    const threads = lists
      .flat()
      .filter((t) => wanted.has(t.mark.state))
      .sort((a, b) => (a.mark.waitingSince ?? Infinity) - (b.mark.waitingSince ?? Infinity) || a.mark.since - b.mark.since)
      .map(({ userKey, mark }) => ({
        psid: psidOf(userKey),
        state: mark.state,
        since: mark.since,
        waitingSince: mark.waitingSince,
        waitingMs: mark.waitingSince === null ? 0 : Math.max(0, now - mark.waitingSince),
        lastInboundAt: mark.lastInboundAt,
      }));
    res.json({ count: threads.length, threads: threads.slice(0, q.data.limit) });
  };

  const readUser: AdminHandler = async (_req, res, params) => {
    const p = psidParam.safeParse(params);
    if (!p.success) return badRequest(res, p.error, 'path');
    const user = await load(p.data.psid);
    if (!user) return notFound(res, p.data.psid);
    const { state } = user;
    res.json({
      psid: p.data.psid,
      version: user.version,
      thread: state.thread,
      // Where the customer is in the flows (null: between conversations), for an agent taking over.
      position: state.position && { flow: state.position.flow, node: state.position.node },
      lastInboundAt: state.lastInboundAt,
      windowEndsAt: state.windowEndsAt,
      fields: state.fields,
      tags: state.tags,
      consent: state.consent,
      transcript: state.transcript,
      threadLog: state.threadLog,
      // Each running drip sequence's next step and when it is due (the timer's id stays inside).
      sequences: Object.fromEntries(
        Object.entries(state.sequences).map(([id, s]) => [
          id,
          { startedAt: s.startedAt, nextStep: s.stepId ?? null, dueAt: s.dueAt ?? null },
        ]),
      ),
    });
  };

  const reply: AdminHandler = async (req, res, params) => {
    const p = psidParam.safeParse(params);
    if (!p.success) return badRequest(res, p.error, 'path');
    const body = replyBody.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, body.error, 'body');
    const user = await load(p.data.psid);
    const last = user?.state.lastInboundAt ?? null;
    const age = last === null ? Infinity : deps.now() - last;
    if (age > HUMAN_AGENT_MS) {
      const days = last === null ? 'never' : `${Math.floor(age / DAY_MS)} days ago`;
      return void res.status(409).json({
        error: 'human_agent_window_closed',
        message: `The customer last wrote ${days}; Messenger lets a person reply only up to 7 days after the customer's last message (HUMAN_AGENT tag). Wait until they write again.`,
      });
    }
    await enqueue(p.data.psid, { command: 'reply', text: body.data.text });
    res.status(202).json({
      queued: 'reply',
      messaging: age <= MESSAGING_WINDOW.standardMs ? 'RESPONSE/UPDATE (inside the 24 h window)' : 'MESSAGE_TAG HUMAN_AGENT',
    });
  };

  // Everything the store holds that names the user, as JSON (a subject access request).
  const exportOne: AdminHandler = async (_req, res, params) => {
    const p = psidParam.safeParse(params);
    if (!p.success) return badRequest(res, p.error, 'path');
    res.json(await exportUser(deps.store, address(p.data.psid), deps.now()));
  };

  // Erasing goes through the user's lane like every command, so it is ordered with their
  // conversation; queued even with no state, since an outbox entry or a timer may still name them.
  const forget: AdminHandler = async (_req, res, params) => {
    const p = psidParam.safeParse(params);
    if (!p.success) return badRequest(res, p.error, 'path');
    const { partition, userKey } = locate(p.data.psid);
    const known = (await deps.store.states.load(partition, userKey)).version > 0;
    await enqueueForget(deps.store, address(p.data.psid), deps.now());
    res.status(202).json({ queued: 'forget', known });
  };
  // A marketer records an opt-in or opt-out (a consent given by phone, a complaint): applied in the
  // user's lane like their own STOP, with the token's name as its source.
  const consent: AdminHandler = async (req, res, params) => {
    const p = psidParam.safeParse(params);
    if (!p.success) return badRequest(res, p.error, 'path');
    const body = consentBody.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, body.error, 'body');
    if (!(await load(p.data.psid))) return notFound(res, p.data.psid);
    const { token, requestId } = callerOf(res);
    await enqueue(p.data.psid, { command: 'consent', ...body.data, by: token, requestId });
    res.status(202).json({ queued: 'consent', ...body.data, source: `admin:${token}` });
  };
  return {
    consent,
    listThreads,
    readUser,
    pause: command('pause'),
    resume: command('resume'),
    reply,
    exportUser: exportOne,
    forgetUser: forget,
    audienceCount: audienceCountHandler(deps),
    insightsUnmatched: unmatchedInsightsHandler(deps),
    ...broadcastHandlers(deps),
    ...sequenceHandlers(deps),
  };
}
