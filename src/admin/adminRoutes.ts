/**
 * Every admin route and who may call it, in one table: the gate matches requests against it
 * before authentication (to name the action in the audit log), checks the caller's role against
 * it before a byte of the body is read, and the handlers are keyed by it, so a route cannot exist
 * without a role. Later routes (audience, broadcasts) add a row here and a handler.
 */
export type AdminRole = 'agent' | 'marketer' | 'operator';

export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Under /admin; `:name` is one path segment. */
  readonly path: string;
  /** Roles allowed besides `operator`, who may call every route. */
  readonly roles: readonly AdminRole[];
  /** Logged in the audit trail on every outcome: changes something, or reads a user's personal data. */
  readonly audit: boolean;
  /** Takes a JSON body (parsed only after authentication and the role check). */
  readonly body: boolean;
}

export const ADMIN_ROUTES = {
  listThreads: { method: 'GET', path: '/threads', roles: ['agent'], audit: false, body: false },
  readUser: { method: 'GET', path: '/users/:psid', roles: ['agent', 'marketer'], audit: true, body: false },
  pause: { method: 'POST', path: '/users/:psid/pause', roles: ['agent'], audit: true, body: false },
  resume: { method: 'POST', path: '/users/:psid/resume', roles: ['agent'], audit: true, body: false },
  reply: { method: 'POST', path: '/users/:psid/messages', roles: ['agent'], audit: true, body: true },
  // Recorded in the user's consent ledger with source admin:<token name>, ordered with their conversation.
  consent: { method: 'POST', path: '/users/:psid/consent', roles: ['marketer'], audit: true, body: true },
  // A person's whole record, and erasing it: operators only (README: Export and delete).
  exportUser: { method: 'GET', path: '/users/:psid/export', roles: [], audit: true, body: false },
  forgetUser: { method: 'DELETE', path: '/users/:psid', roles: [], audit: true, body: false },
  // How many users a filter selects (counts only: no one is named, so not audited).
  audienceCount: { method: 'GET', path: '/audience/count', roles: ['marketer'], audit: false, body: false },
  // Broadcasts (broadcastRoutes.ts): reads name no one, so only the changes are audited.
  createBroadcast: { method: 'POST', path: '/broadcasts', roles: ['marketer'], audit: true, body: true },
  listBroadcasts: { method: 'GET', path: '/broadcasts', roles: ['marketer'], audit: false, body: false },
  readBroadcast: { method: 'GET', path: '/broadcasts/:id', roles: ['marketer'], audit: false, body: false },
  // A flow's funnel: users reaching each node per day and A/B variant (counts only, no one named).
  readFunnel: { method: 'GET', path: '/funnels/:flow', roles: ['marketer'], audit: false, body: false },
  pauseBroadcast: { method: 'POST', path: '/broadcasts/:id/pause', roles: ['marketer'], audit: true, body: false },
  resumeBroadcast: { method: 'POST', path: '/broadcasts/:id/resume', roles: ['marketer'], audit: true, body: false },
  cancelBroadcast: { method: 'POST', path: '/broadcasts/:id/cancel', roles: ['marketer'], audit: true, body: false },
  testBroadcast: { method: 'POST', path: '/broadcasts/:id/test', roles: ['marketer'], audit: true, body: true },
  // What customers wrote that the bot did not understand, counted per text (insightsRoute.ts; no one named).
  insightsUnmatched: { method: 'GET', path: '/insights/unmatched', roles: ['marketer'], audit: false, body: false },
  // Drip sequences (sequenceRoutes.ts): per-step counts name no one; starting or stopping one for a user is audited.
  listSequences: { method: 'GET', path: '/sequences', roles: ['marketer'], audit: false, body: false },
  readSequence: { method: 'GET', path: '/sequences/:id', roles: ['marketer'], audit: false, body: false },
  userSequence: { method: 'POST', path: '/users/:psid/sequences', roles: ['marketer'], audit: true, body: true },
} as const satisfies Record<string, AdminRoute>;

export type AdminAction = keyof typeof ADMIN_ROUTES;

export interface MatchedRoute {
  readonly action: AdminAction;
  readonly route: AdminRoute;
  /** Path parameters, percent-decoded (left as sent when the escape is malformed; the handler's schema refuses it). */
  readonly params: Readonly<Record<string, string>>;
}

const compiled = (Object.entries(ADMIN_ROUTES) as Array<[AdminAction, AdminRoute]>).map(([action, route]) => {
  const names: string[] = [];
  const source = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { action, route, names, pattern: new RegExp(`^${source}/?$`) };
});

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The route a request is for (path relative to /admin), or undefined. */
export function matchAdminRoute(method: string, path: string): MatchedRoute | undefined {
  for (const c of compiled) {
    if (c.route.method !== method) continue;
    const m = c.pattern.exec(path);
    if (m) return { action: c.action, route: c.route, params: Object.fromEntries(c.names.map((n, i) => [n, decode(m[i + 1]!)])) };
  }
  return undefined;
}

/** Whether a role may call a route; `operator` may call all of them. */
export const mayCall = (role: AdminRole, route: AdminRoute): boolean => role === 'operator' || route.roles.includes(role);

/** The roles that may call a route, for a 403's message. */
export const rolesFor = (route: AdminRoute): AdminRole[] => [...route.roles, 'operator'];
