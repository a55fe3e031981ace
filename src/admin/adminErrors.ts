import type { ErrorRequestHandler, Response } from 'express';
import { z } from 'zod';
import { StoreUnavailableError } from '../errors';
import type { Logger } from '../logger';

/** What body-parser attaches to the errors it raises (type is its stable name for the failure). */
const bodyParserError = z.object({ type: z.string(), status: z.number().int().min(400).max(499) });

const BODY_ERRORS: Readonly<Record<string, { status: number; error: string; message: string }>> = {
  'entity.too.large': {
    status: 413,
    error: 'payload_too_large',
    message: 'body: larger than the 64 KB an admin request may carry',
  },
  'charset.unsupported': {
    status: 415,
    error: 'unsupported_charset',
    message: 'body: send JSON in UTF-8 (charset=utf-8 or none)',
  },
  'encoding.unsupported': {
    status: 415,
    error: 'unsupported_encoding',
    message: 'body: Content-Encoding must be identity, gzip, deflate or br',
  },
  'entity.parse.failed': { status: 400, error: 'bad_request', message: 'body: not valid JSON' },
};

/**
 * The last handler of the admin app: every error becomes a JSON answer that says what was wrong
 * with the request, or, for a fault of ours, only a request id to look up in the server log. It
 * replaces express's default handler, which answers HTML with the stack trace and file paths.
 */
export function jsonErrorHandler(logger: Logger, requestIdOf: (res: Response) => string): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const requestId = requestIdOf(res);
    if (res.headersSent) {
      logger.error({ err, requestId }, 'admin request failed after its answer started; connection closed');
      return void req.socket.destroy();
    }
    const parsed = bodyParserError.safeParse(err);
    if (parsed.success) {
      const known = BODY_ERRORS[parsed.data.type];
      // A body we stopped reading halfway cannot be followed by another request on this connection.
      if (known?.status === 413) res.setHeader('connection', 'close');
      return void res
        .status(known?.status ?? parsed.data.status)
        .json({ error: known?.error ?? 'bad_request', field: 'body', message: known?.message ?? 'body: could not be read' });
    }
    if (err instanceof StoreUnavailableError) {
      logger.warn({ requestId, code: err.code }, 'admin request: store unavailable');
      return void res
        .status(503)
        .json({ error: 'store_unavailable', message: 'The store did not answer in time; try again.', requestId });
    }
    logger.error({ err, requestId }, 'admin request failed');
    res.status(500).json({ error: 'internal', message: `Internal error (request ${requestId}); see the server log.`, requestId });
  };
}
