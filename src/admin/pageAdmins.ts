import { BroadcastControl, type BroadcastControlOptions } from '../broadcasts/broadcastControl';
import type { Store } from '../store/ports';
import type { AdminHandlerDeps } from './adminHandlers';

/**
 * Several Pages on one admin listener (issue #18 item 2; docs/pages.md "Operating each Page"):
 * `/admin/pages/<pageId>/<route>` serves every admin route for that Page, from its own store,
 * broadcasts and flows; the un-prefixed routes stay the environment's Page's.
 */

/** Where `/admin/pages/<id>/…` sends a request: the Page's deps, by Page id (the environment's Page is always served). */
export type PageAdmins = ReadonlyMap<string, AdminHandlerDeps>;

/** One Page's store and what its broadcast control needs besides (its flows only where a worker runs: without them the sequence routes answer 501). */
export type PageAdminSources = Omit<BroadcastControlOptions, 'broadcasts' | 'inbox'> & { readonly store: Store };

/** What the admin handlers of one Page need: its store, and the broadcast control over it (none for a store that keeps no broadcasts). */
export function pageAdminDeps(s: PageAdminSources): AdminHandlerDeps {
  const broadcasts = s.store.broadcasts && new BroadcastControl({ ...s, broadcasts: s.store.broadcasts, inbox: s.store.inbox });
  return { store: s.store, broadcasts, flows: s.flows, pageId: s.pageId, partitions: s.partitions, now: s.now };
}

/** A Page id in a path: what PAGES_FILE accepts (1–32 digits; admin/ may not import config/). */
const PAGE_ID = /^[0-9]{1,32}$/;
const PREFIXED = /^\/pages\/([^/]*)(\/.*)?$/;

export type AdminTarget =
  | { readonly kind: 'home'; readonly path: string }
  | { readonly kind: 'page'; readonly pageId: string; readonly path: string }
  | { readonly kind: 'bad_page'; readonly path: string };

/** Splits a path under /admin into the Page it names (none: the environment's) and the route's path. */
export function adminTarget(path: string): AdminTarget {
  const m = PREFIXED.exec(path);
  if (!m) return { kind: 'home', path };
  const rest = m[2] ?? '/';
  const id = m[1] ?? '';
  return PAGE_ID.test(id) ? { kind: 'page', pageId: id, path: rest } : { kind: 'bad_page', path: rest };
}
