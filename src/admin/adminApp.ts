import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { bearerAuthenticator, type AdminToken } from './adminAuth';
import { createAdminHandlers, type AdminHandler, type AdminHandlerDeps } from './adminHandlers';
import type { AdminAction } from './adminRoutes';
import { adminTarget, type AdminTarget, type PageAdmins } from './pageAdmins';
import { matchAdminRoute, mayCall, rolesFor, type MatchedRoute } from './adminRoutes';
import { jsonErrorHandler } from './adminErrors';
import { auditWhenDone, type AuditEntry } from './auditLog';
import { AuthThrottle, DEFAULT_THROTTLE, type AuthThrottleOptions } from './authThrottle';

export interface AdminAppDeps extends AdminHandlerDeps {
  readonly tokens: readonly AdminToken[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly throttle?: AuthThrottleOptions;
  /** The deployment's other Pages (PAGES_FILE), served under /admin/pages/<pageId>/ with the same tokens and roles. */
  readonly pages?: PageAdmins;
}

/** Admin bodies are a reply text or a broadcast definition; 64 KB is far above any legitimate one. */
export const ADMIN_BODY_LIMIT = '64kb';
const AUDIT_ALWAYS = new Set([401, 403, 429]);

interface Locals {
  requestId: string;
  matched?: MatchedRoute;
  audit?: AuditEntry;
  handlers?: Handlers;
}
type Handlers = Record<AdminAction, AdminHandler>;
const locals = (res: Response) => res.locals as Locals;

/** A request that announced a body is answered without reading it; closing spares reading the rest. */
const hasBody = (req: Request) =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
function refuse(req: Request, res: Response, status: number, body: Record<string, unknown>): void {
  if (hasBody(req)) res.setHeader('connection', 'close');
  res.status(status).json(body);
}

/**
 * The admin listener's app (its own port, loopback by default; see server.ts). Order matters:
 * the request is matched against ADMIN_ROUTES, the address's failures checked (429), the token
 * (401) and the role (403) before any byte of the body is read; only then is a JSON body parsed
 * (64 KB at most). Every answer, including every error, is JSON without internals, and every
 * admin action writes one audit line. /metrics is served here too (no token: it holds no
 * personal data), so it can be scraped even with METRICS_PUBLIC=false. `/admin/pages/<pageId>/…`
 * serves the same routes for another Page of the deployment (`pages`), through the same gate.
 */
export function createAdminApp(deps: AdminAppDeps): Express {
  const authenticate = bearerAuthenticator(deps.tokens);
  const throttle = new AuthThrottle(deps.throttle ?? DEFAULT_THROTTLE);
  const handlers = createAdminHandlers(deps);
  // Another Page's handlers are made the first time it is asked for (a deployment may list 1,000 Pages).
  const madeForPages = new Map<string, Handlers>();
  const handlersOf = (target: AdminTarget): Handlers | undefined => {
    if (target.kind !== 'page' || target.pageId === deps.pageId) return handlers;
    const known = madeForPages.get(target.pageId);
    if (known) return known;
    const page = deps.pages?.get(target.pageId);
    const made = page && createAdminHandlers(page);
    if (made) madeForPages.set(target.pageId, made);
    return made;
  };
  const json = express.json({ limit: ADMIN_BODY_LIMIT });

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    const requestId = randomUUID();
    locals(res).requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  const gate = (req: Request, res: Response, next: NextFunction) => {
    const target = adminTarget(req.path);
    const matched = matchAdminRoute(req.method, target.path);
    const address = req.socket.remoteAddress ?? 'unknown';
    const audit: AuditEntry = {
      requestId: locals(res).requestId,
      token: null,
      role: null,
      action: matched?.action ?? 'unknown',
      pageId: target.kind === 'page' ? target.pageId : target.kind === 'home' ? deps.pageId : 'invalid',
      psid: matched?.params.psid?.slice(0, 64),
      address,
    };
    Object.assign(locals(res), { matched, audit });
    auditWhenDone(res, deps.logger, audit, (status) => Boolean(matched?.route.audit) || AUDIT_ALWAYS.has(status));

    const waitMs = throttle.blockedFor(address);
    if (waitMs > 0) {
      deps.metrics.adminAuthFailures.inc({ reason: 'throttled' });
      res.setHeader('retry-after', String(Math.ceil(waitMs / 1000)));
      return refuse(req, res, 429, {
        error: 'too_many_failures',
        message: `Too many requests with a wrong or missing token from this address; try again in ${Math.ceil(waitMs / 1000)} s.`,
      });
    }
    const auth = authenticate(req.headers);
    if (auth.kind !== 'ok') {
      throttle.fail(address);
      deps.metrics.adminAuthFailures.inc({ reason: auth.kind });
      return refuse(req, res, 401, {
        error: 'unauthorized',
        message: 'Send "Authorization: Bearer <token>" with a token from ADMIN_TOKENS (or ADMIN_TOKEN).',
      });
    }
    audit.token = auth.principal.name;
    audit.role = auth.principal.role;
    // Only a caller with a token learns which Pages are served.
    if (target.kind === 'bad_page')
      return refuse(req, res, 400, {
        error: 'bad_request',
        field: 'pageId',
        message: 'path: /admin/pages/<pageId>/… takes a Page id of 1 to 32 digits',
      });
    const chosen = handlersOf(target);
    if (!chosen && target.kind === 'page')
      return refuse(req, res, 404, {
        error: 'unknown_page',
        page: target.pageId,
        message: `Page ${target.pageId} is not served by this deployment; to serve it, list it in PAGES_FILE and restart (docs/pages.md).`,
      });
    locals(res).handlers = chosen;
    if (!matched) return void res.status(404).json({ error: 'not_found', message: 'No such admin endpoint; see the README.' });
    if (!mayCall(auth.principal.role, matched.route)) {
      const needed = rolesFor(matched.route);
      return refuse(req, res, 403, {
        error: 'forbidden',
        needs: needed,
        message: `The token "${auth.principal.name}" has the role ${auth.principal.role}; ${matched.action} needs ${needed.join(' or ')}.`,
      });
    }
    if (matched.route.body) return json(req, res, next);
    next();
  };

  app.use('/admin', gate, async (req: Request, res: Response) => {
    const { matched, audit, handlers: chosen } = locals(res);
    if (!matched || !audit || !chosen) throw new Error('admin request reached its handler without passing the gate');
    const text: unknown = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text === 'string') audit.textLength = text.length;
    await chosen[matched.action](req, res, matched.params);
  });
  app.use((_req, res) => {
    res
      .status(404)
      .json({ error: 'not_found', message: 'No such endpoint on the admin listener; the admin API is under /admin.' });
  });
  app.use(jsonErrorHandler(deps.logger, (res) => locals(res).requestId));
  return app;
}
