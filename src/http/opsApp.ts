import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Metrics } from '../metrics';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
  /** With several Pages (src/http/pagesReadiness.ts): how many are ready, and each one that is not with its checks. */
  readonly pages?: {
    readonly total: number;
    readonly ready: number;
    readonly notReady: Readonly<Record<string, Readonly<Record<string, string>>>>;
  };
}

export interface OpsDeps {
  readonly metrics: Metrics;
  readonly readiness: () => Promise<Readiness>;
  /** METRICS_PUBLIC: serve /metrics here too (the admin listener always serves it). */
  readonly metricsPublic: boolean;
  /** Told about a fault of ours (answered 500 with the same request id); the composition root logs it. */
  readonly onError?: (err: unknown, requestId: string) => void;
}

/**
 * Operational endpoints on the public listener, beside the webhook's own fast path (see
 * server.ts). The admin API is not here: it has its own listener (src/admin/adminApp.ts), so
 * /admin on this port is a 404 like any unknown path. Every answer is JSON, errors included.
 */
export function createOpsApp(deps: OpsDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await deps.readiness();
    const status = r.ready ? 'ready' : 'not_ready';
    // One Page: the body as ever, { status, checks }.
    res.status(r.ready ? 200 : 503).json(r.pages ? { status, checks: r.checks, pages: r.pages } : { status, checks: r.checks });
  });
  if (deps.metricsPublic)
    app.get('/metrics', async (_req, res) => {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such endpoint; see the README for the HTTP API.' });
  });
  app.use(jsonErrors(deps.onError));
  return app;
}

/** Replaces express's default error page (HTML with the stack trace and file paths) with JSON. */
function jsonErrors(onError: OpsDeps['onError']): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) return void req.socket.destroy();
    const status = clientErrorStatus(err);
    if (status) return void res.status(status).json({ error: 'bad_request', message: 'The request could not be read.' });
    const requestId = randomUUID();
    onError?.(err, requestId);
    res.status(500).json({ error: 'internal', message: `Internal error (request ${requestId}); see the server log.`, requestId });
  };
}

/** A 4xx status an error carries (express and its parsers mark client faults so), else undefined. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}
