import type { Request, Response } from 'express';
import { z } from 'zod';
import { audienceFilterSchema, type AudienceFilter, type Condition } from '../audience/audienceFilter';
import { audienceCount } from '../audience/audienceWalk';
import { parseWhere } from '../audience/parseWhere';
import type { Store } from '../store/ports';

export interface AudienceRouteDeps {
  readonly store: Store;
  readonly partitions: number;
  readonly now: () => number;
}

/** `where` clauses (repeat the parameter: all must hold) and/or `filter`, a JSON filter ({"all": […]}). */
const countQuery = z.strictObject({
  where: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((w) => (w === undefined ? [] : Array.isArray(w) ? w : [w])),
  filter: z.string().max(16_000).optional(),
});

type Parsed =
  | { readonly ok: true; readonly filter: AudienceFilter }
  | { readonly ok: false; readonly field: string; readonly message: string };

function filterOf(req: Request): Parsed {
  const q = countQuery.safeParse(req.query);
  if (!q.success) {
    const issue = q.error.issues[0];
    const field = issue?.path[0] === undefined ? 'query' : String(issue.path[0]);
    return {
      ok: false,
      field,
      message: `query field "${field}": ${issue?.message ?? 'invalid'}; use where=CLAUSE (repeatable) or filter=JSON`,
    };
  }
  const all: Condition[] = [];
  if (q.data.filter !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(q.data.filter);
    } catch {
      return { ok: false, field: 'filter', message: 'query field "filter": not valid JSON (expected {"all": [conditions]})' };
    }
    const parsed = audienceFilterSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      return { ok: false, field: 'filter', message: `query field "filter"${at}: ${issue?.message ?? 'invalid'}` };
    }
    all.push(...parsed.data.all);
  }
  const where = parseWhere(q.data.where);
  if (!where.ok) return { ok: false, field: 'where', message: where.problems.join('\n') };
  all.push(...where.filter.all);
  return { ok: true, filter: { all } };
}

/**
 * GET /admin/audience/count: how many users a filter selects now, streamed partition by
 * partition over the audience index (one chunk of cards in memory at a time, never the states).
 */
export function audienceCountHandler(deps: AudienceRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const parsed = filterOf(req);
    if (!parsed.ok) return void res.status(400).json({ error: 'bad_request', field: parsed.field, message: parsed.message });
    if (!deps.store.audience)
      return void res.status(501).json({ error: 'not_supported', message: 'This store keeps no audience index.' });
    const at = deps.now();
    const partitions = Array.from({ length: deps.partitions }, (_, p) => p);
    const counted = await audienceCount(deps.store.audience, partitions, parsed.filter, at);
    res.json({
      count: counted.count,
      scanned: counted.scanned,
      unreadable: counted.unreadable,
      pruned: counted.pruned,
      perPartition: counted.perPartition,
      at,
      filter: parsed.filter,
    });
  };
}
