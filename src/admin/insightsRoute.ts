import type { Request, Response } from 'express';
import { z } from 'zod';
import { UNMATCHED_RETENTION_DAYS, type Store } from '../store/ports';
import { unmatchedReport } from '../store/unmatchedCounts';

export interface InsightsRouteDeps {
  readonly store: Store;
  readonly now: () => number;
}

const unmatchedQuery = z.strictObject({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(UNMATCHED_RETENTION_DAYS, `at most ${UNMATCHED_RETENTION_DAYS} (counts are kept that long)`)
    .default(7),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});

/**
 * GET /admin/insights/unmatched?days=7&limit=20: the texts the bot did not understand over the
 * last `days` UTC days, most frequent first, with counts per outcome (fallback, "did you mean")
 * and the last day seen. Counts only: no one is named.
 */
export function unmatchedInsightsHandler(deps: InsightsRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const q = unmatchedQuery.safeParse(req.query);
    if (!q.success) {
      const issue = q.error.issues[0];
      const field = issue?.path[0] === undefined ? 'query' : String(issue.path[0]);
      return void res
        .status(400)
        .json({ error: 'bad_request', field, message: `query field "${field}": ${issue?.message ?? 'invalid'}` });
    }
    if (!deps.store.unmatched)
      return void res.status(501).json({ error: 'not_supported', message: 'This store keeps no counts of unmatched texts.' });
    res.json(await unmatchedReport(deps.store.unmatched, deps.now(), q.data.days, q.data.limit));
  };
}
