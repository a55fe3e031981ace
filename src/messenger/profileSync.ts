import { TalkshopError } from '../errors';
import type { GraphClient } from './graphClient';
import { GraphApiError } from './graphErrors';
import { MESSENGER_PROFILE_FIELDS, type MessengerProfile, type MessengerProfileField } from '../platform/graphRequestSchemas';

/**
 * `talkshop profile sync`: the Messenger Profile (docs/messenger-platform.md §4.4) kept in a file and
 * pushed with as few calls as possible, because Meta allows only 10 calls per 10 minutes per Page.
 * One GET; then at most one POST (every added or changed field together) and, with `prune`, one
 * DELETE. An unchanged file costs the GET only. Nothing is retried: a 613 is reported as it is.
 */

export type FieldChangeKind = 'add' | 'change' | 'remove';
export interface FieldChange {
  readonly field: MessengerProfileField;
  readonly kind: FieldChangeKind;
}
export interface ProfileDiff {
  /** In MESSENGER_PROFILE_FIELDS order. */
  readonly changes: readonly FieldChange[];
  /** The POST body: every added or changed field (undefined when there is none). */
  readonly set: MessengerProfile | undefined;
  /** Fields to DELETE (only with prune). */
  readonly remove: readonly MessengerProfileField[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const LOCALIZED: ReadonlySet<string> = new Set(['greeting', 'ice_breakers', 'persistent_menu']);

/** Sorted keys, undefined dropped: two values are equal when their canonical JSON is. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isRecord(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .filter((k) => v[k] !== undefined)
      .map((k) => [k, canonical(v[k])]),
  );
}

/** What Graph stores for a field, written the same way whichever side it came from. */
export function normaliseField(field: string, value: unknown): unknown {
  let v = value;
  if (LOCALIZED.has(field) && Array.isArray(v)) {
    // Locale order carries no meaning; Graph fills composer_input_disabled with false.
    v = [...v]
      .map((entry) => (field === 'persistent_menu' && isRecord(entry) ? { composer_input_disabled: false, ...entry } : entry))
      .sort((a, b) => String(isRecord(a) ? a.locale : '').localeCompare(String(isRecord(b) ? b.locale : '')));
  }
  if (field === 'whitelisted_domains' && Array.isArray(v)) {
    v = [...new Set(v.map((d) => (typeof d === 'string' ? d.toLowerCase().replace(/\/+$/, '') : d)))].sort();
  }
  return JSON.stringify(canonical(v));
}

/** The difference per top-level field between the file and what Graph holds. Pure. */
export function diffProfile(
  desired: MessengerProfile,
  current: Readonly<Record<string, unknown>>,
  options: { readonly prune?: boolean } = {},
): ProfileDiff {
  const changes: FieldChange[] = [];
  const set: Record<string, unknown> = {};
  const remove: MessengerProfileField[] = [];
  const wanted = desired as Readonly<Record<string, unknown>>;
  for (const field of MESSENGER_PROFILE_FIELDS) {
    const want = wanted[field];
    const have = current[field];
    const haveSet = have !== undefined && have !== null && !(Array.isArray(have) && have.length === 0);
    if (want === undefined) {
      if (options.prune && haveSet) {
        changes.push({ field, kind: 'remove' });
        remove.push(field);
      }
    } else if (!haveSet) {
      changes.push({ field, kind: 'add' });
      set[field] = want;
    } else if (normaliseField(field, want) !== normaliseField(field, have)) {
      changes.push({ field, kind: 'change' });
      set[field] = want;
    }
  }
  return { changes, set: Object.keys(set).length > 0 ? (set as MessengerProfile) : undefined, remove };
}

const MARK: Record<FieldChangeKind, string> = { add: '+', change: '~', remove: '-' };
/** One line per changed field: `+ greeting`, `~ ice_breakers`, `- whitelisted_domains`. */
export const formatDiff = (diff: ProfileDiff): string[] => diff.changes.map((c) => `${MARK[c.kind]} ${c.field}`);

export interface SyncOptions {
  readonly dryRun?: boolean;
  /** Delete fields Graph holds that the file does not set. */
  readonly prune?: boolean;
}

export interface SyncResult {
  readonly diff: ProfileDiff;
  /** Calls made to the Messenger Profile API (GET included). */
  readonly calls: number;
  readonly posted: readonly MessengerProfileField[];
  readonly deleted: readonly MessengerProfileField[];
}

/** A Graph call of the sync failed; `done` says which steps had already succeeded. */
export class ProfileSyncError extends TalkshopError {
  constructor(
    readonly step: 'GET' | 'POST' | 'DELETE',
    readonly graph: GraphApiError | undefined,
    readonly done: readonly string[],
    cause: unknown,
  ) {
    super('GRAPH_ERROR', describeFailure(step, graph, done, cause), { cause });
  }

  /** 613 (or 4/17/32): Meta's call limit; waiting is the only fix. */
  get rateLimited(): boolean {
    return this.graph?.classification === 'rate_limited';
  }
}

function describeFailure(step: string, graph: GraphApiError | undefined, done: readonly string[], cause: unknown): string {
  const what = graph ? graph.message : cause instanceof Error ? cause.message : String(cause);
  const limited = graph !== undefined && graph.classification === 'rate_limited';
  const head = limited
    ? `Meta refused the ${step} with code ${graph?.graphCode ?? '?'}: the Messenger Profile API allows 10 calls per 10 minutes per Page. Not retried; wait 10 minutes and run again.`
    : `the ${step} of the Messenger Profile failed: ${what}`;
  return `${head}${done.length > 0 ? ` Already done: ${done.join('; ')}.` : ' Nothing was changed.'}${limited ? ` (${what})` : ''}`;
}

/**
 * GET the fields the file sets (every field with prune), diff, then POST the difference in one
 * call and, with prune, DELETE the removed fields in one call. Dry run: the GET only.
 */
export async function syncMessengerProfile(
  client: GraphClient,
  desired: MessengerProfile,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const fields = options.prune ? [...MESSENGER_PROFILE_FIELDS] : MESSENGER_PROFILE_FIELDS.filter((f) => desired[f] !== undefined);
  const done: string[] = [];
  let calls = 0;
  const step = async <T>(name: 'GET' | 'POST' | 'DELETE', run: () => Promise<T>): Promise<T> => {
    calls++;
    try {
      return await run();
    } catch (err) {
      throw new ProfileSyncError(name, err instanceof GraphApiError ? err : undefined, done, err);
    }
  };
  const current = await step('GET', () => client.getMessengerProfile(fields));
  const diff = diffProfile(desired, current, { prune: options.prune });
  if (options.dryRun) return { diff, calls, posted: [], deleted: [] };
  const posted: MessengerProfileField[] = [];
  const deleted: MessengerProfileField[] = [];
  const body = diff.set;
  if (body !== undefined) {
    await step('POST', () => client.setMessengerProfile(body));
    posted.push(...diff.changes.filter((c) => c.kind !== 'remove').map((c) => c.field));
    done.push(`posted ${posted.join(', ')}`);
  }
  if (diff.remove.length > 0) {
    await step('DELETE', () => client.deleteMessengerProfile(diff.remove));
    deleted.push(...diff.remove);
    done.push(`deleted ${deleted.join(', ')}`);
  }
  return { diff, calls, posted, deleted };
}
