import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { controlAt, type FlowSet } from '../engine/flowSet';
import { GET_STARTED_PAYLOAD, resolvePayload } from '../engine/payloads';
import { TalkshopError } from '../errors';
import type { GraphClient } from './graphClient';
import { GraphApiError } from './graphErrors';
import {
  MESSENGER_PROFILE_FIELDS,
  messengerProfileSchema,
  type MessengerProfile,
  type MessengerProfileField,
} from './graphRequestSchemas';

/**
 * `talkshop profile sync`: the Messenger Profile (messenger-platform.md §4.4) kept in a file and
 * pushed with as few calls as possible, because Meta allows only 10 calls per 10 minutes per Page.
 * One GET; then at most one POST (every added or changed field together) and, with `prune`, one
 * DELETE. An unchanged file costs the GET only. Nothing is retried: a 613 is reported as it is.
 */

/** The profile file's name in FLOWS_DIR; the flow loader (loadFlows.ts) skips a file of this name. */
export const MESSENGER_PROFILE_FILE = 'messenger-profile.yaml';

export interface ProfileFileProblem {
  readonly file: string;
  /** The field, e.g. `greeting[0].text` (`(file)` for the whole file). */
  readonly path: string;
  readonly line: number | undefined;
  readonly message: string;
}

export type ProfileFileOutcome =
  | { readonly ok: true; readonly profile: MessengerProfile }
  | { readonly ok: false; readonly problems: readonly ProfileFileProblem[] };

export const formatProfileProblem = (p: ProfileFileProblem): string =>
  `error: ${p.line !== undefined ? `${p.file}:${p.line}` : p.file}: ${p.path}: ${p.message}`;

const fieldPath = (path: ReadonlyArray<string | number>): string =>
  path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '') || '(file)';

/** Where the key of a mapping entry is written (`greeting:`), else where the node starts. */
function lineOf(doc: Document, lines: LineCounter, path: ReadonlyArray<string | number>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const last = sub[sub.length - 1];
    const parent = sub.length <= 1 ? doc.contents : doc.getIn(sub.slice(0, -1), true);
    if (typeof last === 'string' && isMap(parent)) {
      const key = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key;
      if (isScalar(key) && key.range) return lines.linePos(key.range[0]).line;
    }
    const node = (sub.length === 0 ? doc.contents : doc.getIn(sub, true)) as
      { range?: [number, number, number] } | null | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** persistent_menu needs a Get Started button (§4.4); the file must carry both. */
const profileFileSchema = messengerProfileSchema.superRefine((p, ctx) => {
  if (p.persistent_menu !== undefined && p.get_started === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['persistent_menu'],
      message: 'needs get_started in the same file (Meta refuses a persistent menu without a Get Started button)',
    });
  }
});

/** Parses and validates a profile file's text (YAML or JSON); problems name the field and its line. */
export function parseProfileFile(text: string, file: string): ProfileFileOutcome {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        file,
        path: '(file)',
        line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    };
  }
  const parsed = profileFileSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { ok: true, profile: parsed.data };
  return { ok: false, problems: zodProblems(parsed.error, file, doc, lines) };
}

function zodProblems(error: z.ZodError, file: string, doc: Document, lines: LineCounter): ProfileFileProblem[] {
  return error.issues.flatMap((issue) => {
    // A menu item matching neither button type: report the branch closest to what was written.
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (best.length > 0) {
        return best.map((inner) => {
          const path = [...issue.path, ...inner.path].filter((p): p is string | number => typeof p !== 'symbol');
          return { file, path: fieldPath(path), line: lineOf(doc, lines, path), message: inner.message };
        });
      }
    }
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    return [{ file, path: fieldPath(path), line: lineOf(doc, lines, path), message: issue.message }];
  });
}

export function readProfileFile(path: string, displayName = path): ProfileFileOutcome {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {
      ok: false,
      problems: [{ file: displayName, path: '(file)', line: undefined, message: 'cannot read the profile file' }],
    };
  }
  return parseProfileFile(text, displayName);
}

/** Every payload the profile would send back to the webhook, with the field that carries it. */
export function profilePayloads(profile: MessengerProfile): Array<{ readonly path: string; readonly payload: string }> {
  const out: Array<{ path: string; payload: string }> = [];
  if (profile.get_started) out.push({ path: 'get_started.payload', payload: profile.get_started.payload });
  (profile.ice_breakers ?? []).forEach((l, i) =>
    l.call_to_actions.forEach((c, j) =>
      out.push({ path: `ice_breakers[${i}].call_to_actions[${j}].payload`, payload: c.payload }),
    ),
  );
  (profile.persistent_menu ?? []).forEach((l, i) =>
    l.call_to_actions.forEach((c, j) => {
      if (c.type === 'postback') out.push({ path: `persistent_menu[${i}].call_to_actions[${j}].payload`, payload: c.payload });
    }),
  );
  return out;
}

/**
 * What a payload does in the engine: GET_STARTED, a hand-written `payload:` on a control, a
 * `postback:` trigger, or a generated `TS|flow|node|control` whose control (not an ask choice) exists.
 * undefined = the tap would be read as plain text (a dead button).
 */
export function payloadTarget(flows: FlowSet, payload: string): string | undefined {
  if (payload === GET_STARTED_PAYLOAD) return 'Get Started';
  const custom = flows.customPayloads.get(payload);
  if (custom) return `control ${custom.flow}/${custom.node}/${custom.control}`;
  for (const { flow } of flows.flows.values()) {
    if (flow.triggers?.some((t) => 'postback' in t && t.postback === payload)) return `postback trigger of flow ${flow.id}`;
  }
  const ref = resolvePayload(flows, payload);
  const loaded = ref && flows.flows.get(ref.flow);
  // An ask choice (a0, a1…) only answers its question while it waits: not usable from a menu.
  if (ref && loaded && !ref.control.startsWith('a') && controlAt(loaded.flow, ref.node, ref.control))
    return `control ${ref.flow}/${ref.node}/${ref.control}`;
  return undefined;
}

/** Payloads of the profile that resolve to nothing in `flows`. */
export function unresolvedPayloads(
  profile: MessengerProfile,
  flows: FlowSet,
): Array<{ readonly path: string; readonly payload: string }> {
  return profilePayloads(profile).filter((p) => payloadTarget(flows, p.payload) === undefined);
}

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
