import type { ServerResponse } from 'node:http';
import type { Logger } from '../logger';
import type { AdminRole } from './adminRoutes';

/** What one admin request did, as the audit trail records it. Never a token, never a message text. */
export interface AuditEntry {
  readonly requestId: string;
  /** The token's name; null when no known token was presented. */
  token: string | null;
  role: AdminRole | null;
  /** The route's name in ADMIN_ROUTES, or "unknown". */
  readonly action: string;
  /** The Page acted on: the environment's for an un-prefixed route, else the id in /admin/pages/<id>/ ("invalid" when that is not a Page id). */
  readonly pageId: string;
  readonly psid: string | undefined;
  /** The broadcast a broadcast route acted on (set by its handler once the id is known). */
  broadcast?: string;
  /** The sequence a sequence command started or stopped. */
  sequence?: string;
  /** A reply's length in characters; its text is the customer's business, not the log's. */
  textLength?: number;
  readonly address: string | undefined;
}

/**
 * Writes one audit line when the response is finished (or the client went away first), if
 * `wanted(status)` says so. One listener pair per request, so one line per request at most.
 */
export function auditWhenDone(res: ServerResponse, logger: Logger, entry: AuditEntry, wanted: (status: number) => boolean): void {
  let written = false;
  const write = (outcome: 'answered' | 'client_closed') => {
    if (written) return;
    written = true;
    const status = res.statusCode;
    if (!wanted(status)) return;
    const line = { audit: true, ...entry, status, outcome };
    if (status < 400 && outcome === 'answered') logger.info(line, `admin ${entry.action} by ${entry.token ?? 'unknown token'}`);
    else logger.warn(line, `admin ${entry.action} by ${entry.token ?? 'unknown token'} refused or failed (${status})`);
  };
  res.once('finish', () => write('answered'));
  res.once('close', () => write(res.writableFinished ? 'answered' : 'client_closed'));
}
