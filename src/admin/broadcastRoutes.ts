import type { Request, Response } from 'express';
import { z } from 'zod';
import type { BroadcastControl, Change } from '../broadcasts/broadcastControl';
import { broadcastView } from '../broadcasts/broadcastCounts';
import { StoreCorruptError, StoreUnavailableError, TalkshopError } from '../errors';

export interface BroadcastRouteDeps {
  /** Absent when the store keeps no broadcasts (a test double): the routes answer 501. */
  readonly broadcasts?: BroadcastControl;
}

type Handler = (req: Request, res: Response, params: Readonly<Record<string, string>>) => Promise<void>;

export type BroadcastAction =
  | 'createBroadcast'
  | 'listBroadcasts'
  | 'readBroadcast'
  | 'readFunnel'
  | 'pauseBroadcast'
  | 'resumeBroadcast'
  | 'cancelBroadcast'
  | 'testBroadcast';

/** The name problems of a definition sent in a request carry instead of a file path. */
export const REQUEST_SOURCE = 'request body "definition"';

const idParam = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a broadcast id (lowercase letters, digits and -, at most 64)'),
});
/** YAML or JSON text as written in broadcasts/, or the definition as a JSON object. */
const createBody = z.strictObject({
  definition: z.union([z.string().min(1, 'must not be empty'), z.record(z.string(), z.unknown())], {
    error: 'expected the definition as an object, or as YAML/JSON text',
  }),
});
const testBody = z.strictObject({
  psids: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a PSID (letters, digits, _ or -)'))
    .min(1)
    .max(20)
    .optional(),
});
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });

function badRequest(res: Response, error: z.ZodError, where: 'path' | 'body' | 'query'): void {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || where;
  res.status(400).json({ error: 'bad_request', field, message: `${where} field "${field}": ${issue?.message ?? 'invalid'}` });
}

/** The gate's audit entry and token name (adminApp.ts), so the broadcast's id is logged with the action. */
function caller(res: Response, id: string): string {
  const audit = (res.locals as { audit?: { token?: unknown; broadcast?: string } }).audit;
  if (audit) audit.broadcast = id;
  return typeof audit?.token === 'string' ? audit.token : 'unknown';
}

const notFound = (res: Response, id: string) =>
  void res.status(404).json({ error: 'not_found', message: `No broadcast with the id "${id}"` });

/**
 * The marketers' broadcast routes: create (checked by the schema and the linter exactly as
 * `talkshop broadcast check` does), list, report, pause/resume/cancel and test. Sending is the
 * workers'; these only write the record and the test sends' inbox items (BroadcastControl).
 */
const funnelQuery = z.strictObject({
  flow: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'expected a flow id'),
  days: z.coerce.number().int().min(1).max(90).default(7),
});

export function broadcastHandlers(deps: BroadcastRouteDeps): Record<BroadcastAction, Handler> {
  const withControl =
    (
      run: (control: BroadcastControl, req: Request, res: Response, params: Readonly<Record<string, string>>) => Promise<void>,
    ): Handler =>
    async (req, res, params) => {
      if (!deps.broadcasts)
        return void res.status(501).json({ error: 'not_supported', message: 'This store keeps no broadcasts.' });
      await run(deps.broadcasts, req, res, params);
    };
  const withId = (run: (control: BroadcastControl, id: string, req: Request, res: Response) => Promise<void>): Handler =>
    withControl(async (control, req, res, params) => {
      const p = idParam.safeParse(params);
      if (!p.success) return badRequest(res, p.error, 'path');
      await run(control, p.data.id, req, res);
    });

  const create = withControl(async (control, req, res) => {
    const body = createBody.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, body.error, 'body');
    const { definition } = body.data;
    // An object is written out one key a line, so a problem's line points at the key it is about.
    const text = typeof definition === 'string' ? definition : JSON.stringify(definition, null, 2);
    const id = (typeof definition === 'object' && typeof definition.id === 'string' ? definition.id : '').slice(0, 64);
    const by = caller(res, id);
    let outcome;
    try {
      outcome = await control.create(text, REQUEST_SOURCE, by);
    } catch (err) {
      // The store's failures are the error handler's (503); any other known failure here is
      // Meta refusing the Marketing Messages campaign, which the marketer can act on.
      if (!(err instanceof TalkshopError) || err instanceof StoreUnavailableError || err instanceof StoreCorruptError) throw err;
      return void res.status(502).json({
        error: 'campaign_failed',
        message: `Meta did not create the Marketing Messages campaign: ${err.message}. Nothing was stored; try again.`,
      });
    }
    if (outcome.type === 'invalid')
      return void res.status(400).json({
        error: 'invalid_broadcast',
        message: `The definition has ${outcome.problems.filter((p) => p.severity === 'error').length} error(s); nothing was stored.`,
        problems: outcome.problems,
      });
    if (outcome.type === 'exists')
      return void res.status(409).json({
        error: 'exists',
        message: `A broadcast with the id "${outcome.id}" was already created; a user receives each id at most once, so give this one a new id.`,
      });
    caller(res, outcome.record.id);
    const report = (await control.report(outcome.record.id)) ?? {
      record: outcome.record,
      stats: {},
      partitionsWalked: 0,
      partitions: 0,
    };
    res.status(201).json({ ...broadcastView(report), warnings: outcome.warnings });
  });

  const list = withControl(async (control, req, res) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) return badRequest(res, q.error, 'query');
    const reports = await control.list(q.data.limit);
    res.json({
      count: reports.length,
      broadcasts: reports.map((r) => {
        const v = broadcastView(r);
        const { targeted, sent, delivered, read, clicked, replied } = v.counts;
        return {
          id: v.id,
          name: v.name,
          kind: v.kind,
          status: v.status,
          createdAt: v.createdAt,
          startAt: v.startAt,
          counts: { targeted, sent, delivered, read, clicked, replied },
          finished: v.progress.finished,
        };
      }),
    });
  });

  const read = withId(async (control, id, _req, res) => {
    const report = await control.report(id);
    if (!report) return notFound(res, id);
    res.json(broadcastView(report));
  });

  const change = (move: Change): Handler =>
    withId(async (control, id, _req, res) => {
      caller(res, id);
      const outcome = await control.change(id, move);
      if (outcome.type === 'not_found') return notFound(res, id);
      if (outcome.type === 'refused')
        return void res
          .status(409)
          .json({ error: 'not_allowed', status: outcome.status, message: `${outcome.why} (it is ${outcome.status})` });
      res.json({ id, status: outcome.status });
    });

  const test = withId(async (control, id, req, res) => {
    caller(res, id);
    const body = testBody.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, body.error, 'body');
    const outcome = await control.test(id, body.data.psids);
    if (outcome.type === 'not_found') return notFound(res, id);
    if (outcome.type === 'no_psids')
      return void res.status(400).json({
        error: 'bad_request',
        field: 'psids',
        message: `The broadcast "${id}" has no test_psids; send {"psids": ["<your PSID>"]}`,
      });
    res.status(202).json({ queued: 'test', id, psids: outcome.psids });
  });

  const funnel = withControl(async (control, req, res, params) => {
    const q = funnelQuery.safeParse({ ...req.query, ...params });
    if (!q.success) return badRequest(res, q.error, 'query');
    res.json(await control.funnel(q.data.flow, q.data.days));
  });

  return {
    readFunnel: funnel,
    createBroadcast: create,
    listBroadcasts: list,
    readBroadcast: read,
    pauseBroadcast: change('pause'),
    resumeBroadcast: change('resume'),
    cancelBroadcast: change('cancel'),
    testBroadcast: test,
  };
}
