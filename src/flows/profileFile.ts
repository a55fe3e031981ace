import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { controlAt, type FlowSet } from '../engine/flowSet';
import { GET_STARTED_PAYLOAD, resolvePayload } from '../engine/payloads';
import { messengerProfileSchema, type MessengerProfile } from '../platform/graphRequestSchemas';
import { lineOf, parseYamlDocument, syntaxErrors, type YamlDocument } from './yamlDocument';

/**
 * The Messenger Profile file (`messenger-profile.yaml` beside the flows): read and validated with
 * line numbers, and checked against the flows, so that every payload its buttons send back leads
 * somewhere. `talkshop profile sync` (messenger/profileSync.ts) pushes it to the Page.
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
  const y = parseYamlDocument(text);
  if (y.doc.errors.length > 0) {
    return { ok: false, problems: syntaxErrors(y).map((e) => ({ file, path: '(file)', line: e.line, message: e.message })) };
  }
  const parsed = profileFileSchema.safeParse(y.doc.toJS() ?? {});
  if (parsed.success) return { ok: true, profile: parsed.data };
  return { ok: false, problems: zodProblems(parsed.error, file, y) };
}

function zodProblems(error: z.ZodError, file: string, y: YamlDocument): ProfileFileProblem[] {
  return error.issues.flatMap((issue) => {
    // A menu item matching neither button type: report the branch closest to what was written.
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (best.length > 0) {
        return best.map((inner) => {
          const path = [...issue.path, ...inner.path].filter((p): p is string | number => typeof p !== 'symbol');
          return { file, path: fieldPath(path), line: lineOf(y, path), message: inner.message };
        });
      }
    }
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    return [{ file, path: fieldPath(path), line: lineOf(y, path), message: issue.message }];
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
