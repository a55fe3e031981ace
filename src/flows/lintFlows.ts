import { dirname, join } from 'node:path';
import type { LoadedFlow } from '../engine/flowSet';
import { charCount, LIMITS } from '../platform/sendApiSchema';
import type { Settings } from '../engine/flowSchema';
import { lintAsk } from './lintAsk';
import { lintComments } from './lintComments';
import { lintConditions } from './lintConditions';
import { lintGraph } from './lintGraph';
import { lintHandover } from './lintHandover';
import { lintDisclosure } from './lintDisclosure';
import { lintMessageLimits, lintText } from './lintLimits';
import { lintPayloads } from './lintPayloads';
import { lintPolicy } from './lintPolicy';
import { lintRequests } from './lintRequests';
import { lintProducts } from './lintProducts';
import { lintQuestions } from './lintQuestions';
import type { Catalog } from '../engine/catalog';
import { backstopMessage, backstopQuestion } from './lintRender';
import { controlsOf, nodeEntries, quote, reporter, where, type FlowScope } from './lintScope';
import { lintTriggers } from './lintTriggers';
import type { Locate, Problem } from './problem';

/**
 * The flow linter: everything the zod schema cannot see. Cross-references, reachability, dead
 * ends and loops without user input (lintGraph), questions (lintAsk), Messenger's limits
 * (lintLimits, with the rendered message validated as a backstop), payloads and triggers across
 * flows, conditions, requests and webhooks (lintRequests), and policy warnings. Pure: reads only its arguments, performs no I/O.
 * Errors refuse the load; warnings are reported and the flows still run.
 */
/**
 * `settingsFile`: where the settings came from (settings.yaml, .yml or .json), for the messages;
 * `catalogs`: the flows folder's catalogs, which `products` nodes name.
 */
export function lintFlows(
  flows: readonly LoadedFlow[],
  settings: Settings,
  locate: Locate,
  settingsFile?: string,
  catalogs: ReadonlyMap<string, Catalog> = new Map(),
): Problem[] {
  const out: Problem[] = [];
  for (const loaded of flows) {
    const scope: FlowScope = { loaded, flow: loaded.flow, settings, report: reporter(loaded.file, loaded.flow.id, locate, out) };
    lintGraph(scope);
    lintNodes(scope);
    lintConditions(scope);
    lintPolicy(scope);
    lintRequests(scope);
    lintProducts(scope, catalogs);
    lintComments(scope);
  }
  flowIds(flows, locate, out);
  unenterable(flows, settings, locate, out);
  lintPayloads(flows, locate, out);
  lintTriggers(flows, settings, locate, out);
  lintQuestions(flows, settings, locate, out);
  lintSettings(flows, settings, locate, out, settingsFile);
  return sortProblems(out);
}

/** Messages and questions of every node: explicit limit checks, then the render backstop. */
function lintNodes(scope: FlowScope): void {
  const { report } = scope;
  for (const [id, node] of nodeEntries(scope.flow)) {
    (node.say ?? []).forEach((spec, i) => {
      if ('typing' in spec) return;
      const before = report.errors();
      lintMessageLimits(scope, ['nodes', id, 'say', i], spec);
      if (report.errors() === before) backstopMessage(scope, id, i, spec);
    });
    if (node.ask) {
      const before = report.errors();
      lintAsk(scope, id, node.ask);
      if (report.errors() === before) backstopQuestion(scope, id, node.ask);
    }
    if (node.handover?.message !== undefined)
      lintText(scope, ['nodes', id, 'handover', 'message'], 'handover message', node.handover.message);
  }
  const fb = scope.flow.fallback;
  if (fb) {
    const offered = fb.escalate_after !== undefined && fb.escalate === 'offer';
    lintText(
      scope,
      ['fallback', 'text'],
      offered ? 'fallback text with the offer of a person' : 'fallback text',
      offered ? `${fb.text} ${scope.settings.messages.offer_human}` : fb.text,
    );
  }
}

function flowIds(flows: readonly LoadedFlow[], locate: Locate, out: Problem[]): void {
  const first = new Map<string, string>();
  for (const { flow, file } of flows) {
    const earlier = first.get(flow.id);
    if (earlier === undefined) first.set(flow.id, file);
    else
      reporter(file, flow.id, locate, out).error(
        ['id'],
        `flow id ${quote(flow.id)} is already used by ${where(locate, earlier, ['id'])}`,
        'give each flow a unique id',
      );
  }
}

/** A flow with no trigger, no hand-written payload, no question, that is not the default flow: no user can get in. */
function unenterable(flows: readonly LoadedFlow[], settings: Settings, locate: Locate, out: Problem[]): void {
  const defaultFlow = settings.default_flow ?? flows[0]?.flow.id;
  for (const { flow, file } of flows) {
    if (flow.id === defaultFlow || flow.triggers.length > 0 || (flow.questions ?? []).length > 0) continue;
    if (Object.keys(flow.nodes).some((id) => controlsOf(flow, id).some((c) => c.control.payload !== undefined))) continue;
    reporter(file, flow.id, locate, out).warn(
      ['id'],
      `flow ${quote(flow.id)} can never start: it has no triggers, no hand-written payload, no questions, and is not the default flow`,
      'add a trigger (keyword, ref, postback…), or set default_flow in settings.yaml',
    );
  }
}

/** settings.yaml: the default flow exists; the offer-a-person button fits Messenger; handover settings. */
function lintSettings(
  flows: readonly LoadedFlow[],
  settings: Settings,
  locate: Locate,
  out: Problem[],
  settingsFile?: string,
): void {
  const file = settingsFile ?? join(dirname(flows[0]?.file ?? '.'), 'settings.yaml');
  const report = reporter(file, undefined, locate, out);
  const ids = flows.map((f) => f.flow.id);
  if (settings.default_flow !== undefined && !ids.includes(settings.default_flow)) {
    report.error(['default_flow'], `default_flow ${quote(settings.default_flow)} is not a flow`, `use one of: ${ids.join(', ')}`);
  }
  // Sent as quick-reply titles: the offer of a person, START's "no thanks" and its topic titles.
  const titles: Array<[string[], string]> = [
    [['messages', 'offer_human_button'], settings.messages.offer_human_button],
    [['messages', 'start_no_thanks'], settings.messages.start_no_thanks],
    ...Object.entries(settings.topic_titles).map(([topic, title]): [string[], string] => [['topic_titles', topic], title]),
  ];
  for (const [path, button] of titles) {
    if (charCount(button) === 0 || charCount(button) > LIMITS.quickReplyTitle) {
      report.error(
        path,
        `${path.join('.')} ${quote(button)} must have 1 to ${LIMITS.quickReplyTitle} characters (it is a quick reply)`,
        `shorten it to ${LIMITS.quickReplyTitle} characters or fewer`,
      );
    }
  }
  for (const [key, text] of Object.entries(settings.messages)) {
    if (charCount(text) > LIMITS.text)
      report.error(
        ['messages', key],
        `messages.${key} has ${charCount(text)} characters; Messenger allows at most ${LIMITS.text}`,
        `shorten it to ${LIMITS.text} characters or fewer`,
      );
  }
  lintHandover(flows, settings, report);
  lintDisclosure(flows, settings, report);
}

/** By file, then line; problems without a line first; otherwise in the order found. */
function sortProblems(problems: Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.file.localeCompare(b.p.file) || (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}
