import express, { type Express, type Router } from 'express';
import type { Metrics } from '../metrics';

export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

export interface OpsDeps {
  readonly metrics: Metrics;
  readonly readiness: () => Promise<Readiness>;
  /** Mounted at /admin when ADMIN_TOKEN is set. */
  readonly admin?: Router;
}

/**
 * Operational endpoints. Later issues mount the admin API and the emulator on this same app;
 * the webhook stays on its own fast path (see server.ts).
 */
export function createOpsApp(deps: OpsDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await deps.readiness();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  if (deps.admin) {
    app.use('/admin', express.json({ limit: '64kb' }), deps.admin);
    // A body that is not JSON gets a JSON answer too, never an HTML error page.
    app.use('/admin', (err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (!(err instanceof SyntaxError)) return next(err);
      res.status(400).json({ error: 'bad_request', field: 'body', message: 'body: not valid JSON' });
    });
  }
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such endpoint; see the README for the HTTP API.' });
  });
  return app;
}
