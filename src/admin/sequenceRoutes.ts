import type { Request, Response } from 'express';
import { z } from 'zod';
import type { FlowSet } from '../engine/flowSet';
import { readSequenceReport, readSequenceReports, stepHeadline } from '../broadcasts/sequenceReport';
import { partitionOf, userKeyOf } from '../store/partitionOf';
import type { BroadcastStore, Store } from '../store/ports';
import { enqueueCommand } from './userRecord';

export interface SequenceRouteDeps {
  readonly store: Store;
  readonly pageId: string;
  readonly partitions: number;
  readonly now: () => number;
  /**
   * The loaded flows and sequences. Only processes that run a worker load them (server.ts): on a
   * ROLE=web process the sequence routes answer 501.
   */
  readonly flows?: Pick<FlowSet, 'sequences'>;
}

type Handler = (req: Request, res: Response, params: Readonly<Record<string, string>>) => Promise<void>;

export type SequenceAction = 'listSequences' | 'readSequence' | 'userSequence';

const sequenceId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a sequence id (lowercase letters, digits, _ and -)');
const idParam = z.object({ id: sequenceId });
const psidParam = z.object({ psid: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a PSID (letters, digits, _ or -)') });
const commandBody = z.strictObject({
  sequence: sequenceId,
  action: z.enum(['start', 'stop'], { error: 'expected "start" or "stop"' }),
});

function badRequest(res: Response, error: z.ZodError, where: 'path' | 'body'): void {
  const issue = error.issues[0];
  const field = issue?.path.join('.') || where;
  res.status(400).json({ error: 'bad_request', field, message: `${where} field "${field}": ${issue?.message ?? 'invalid'}` });
}

const noSequence = (res: Response, id: string) =>
  void res.status(404).json({ error: 'not_found', message: `No sequence with the id "${id}" in FLOWS_DIR/sequences/` });

/** The gate's audit entry (adminApp.ts): names the sequence in the audit line, and gives the token's name. */
function caller(res: Response, sequence: string): { token: string; requestId?: string } {
  const locals = res.locals as { requestId?: unknown; audit?: { token?: unknown; sequence?: string } };
  if (locals.audit) locals.audit.sequence = sequence;
  return {
    token: typeof locals.audit?.token === 'string' ? locals.audit.token : 'unknown',
    ...(typeof locals.requestId === 'string' ? { requestId: locals.requestId } : {}),
  };
}

/**
 * The marketers' sequence routes: every loaded sequence with each step's headline counts, one
 * sequence's full report, and starting or stopping a sequence for one user. A start or stop is a
 * command in the user's inbox lane (like a consent change), so it is ordered with what the user
 * does; the engine then arms or disarms the step timers there.
 */
export function sequenceHandlers(deps: SequenceRouteDeps): Record<SequenceAction, Handler> {
  const withFlows =
    (
      run: (
        flows: Pick<FlowSet, 'sequences'>,
        broadcasts: BroadcastStore,
        req: Request,
        res: Response,
        params: Readonly<Record<string, string>>,
      ) => Promise<void>,
    ): Handler =>
    async (req, res, params) => {
      if (!deps.store.broadcasts)
        return void res.status(501).json({ error: 'not_supported', message: 'This store keeps no statistics.' });
      if (!deps.flows)
        return void res.status(501).json({
          error: 'not_supported',
          message: 'This process loaded no sequences (ROLE=web runs no worker); call the admin API of a worker process.',
        });
      await run(deps.flows, deps.store.broadcasts, req, res, params);
    };

  const list = withFlows(async (flows, broadcasts, _req, res) => {
    const reports = await readSequenceReports(broadcasts, flows, deps.partitions);
    res.json({
      count: reports.length,
      sequences: reports.map((r) => ({ id: r.id, name: r.name, topic: r.topic, steps: r.steps.map(stepHeadline) })),
    });
  });

  const read = withFlows(async (flows, broadcasts, _req, res, params) => {
    const p = idParam.safeParse(params);
    if (!p.success) return badRequest(res, p.error, 'path');
    const def = flows.sequences.get(p.data.id);
    if (!def) return noSequence(res, p.data.id);
    res.json(await readSequenceReport(broadcasts, def, deps.partitions));
  });

  const command = withFlows(async (flows, _broadcasts, req, res, params) => {
    const p = psidParam.safeParse(params);
    if (!p.success) return badRequest(res, p.error, 'path');
    const body = commandBody.safeParse(req.body ?? {});
    if (!body.success) return badRequest(res, body.error, 'body');
    const { sequence, action } = body.data;
    const { token, requestId } = caller(res, sequence);
    if (!flows.sequences.has(sequence)) return noSequence(res, sequence);
    const { psid } = p.data;
    // A sequence reaches only users subscribed to its topic: someone who never wrote to the Page has no consent to check.
    const stored = await deps.store.states.load(partitionOf(deps.pageId, psid, deps.partitions), userKeyOf(deps.pageId, psid));
    if (stored.version === 0)
      return void res.status(404).json({ error: 'not_found', message: `No conversation with ${psid} on this Page` });
    await enqueueCommand(deps.store, { pageId: deps.pageId, partitions: deps.partitions, psid }, deps.now(), {
      command: 'sequence',
      sequence,
      action,
      by: token,
      ...(requestId ? { requestId } : {}),
    });
    res.status(202).json({ queued: 'sequence', sequence, action, psid });
  });

  return { listSequences: list, readSequence: read, userSequence: command };
}
