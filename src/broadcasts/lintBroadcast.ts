import type { Condition } from '../audience/audienceFilter';
import { settingsSchema, type Flow, type MessageSpec, type Settings } from '../engine/flowSchema';
import type { FlowSet, LoadedFlow } from '../engine/flowSet';
import { lintMessageLimits } from '../flows/lintLimits';
import { backstopMessage } from '../flows/lintRender';
import { answeredPayloads, lintDetachedControls } from '../flows/lintDetachedControls';
import { quote, reporter, type FlowScope, type Path, type Reporter } from '../flows/lintScope';
import type { Locate, Problem } from '../flows/problem';
import { promotionalWordInMessage as firstPromotionalWord } from '../flows/promotionalWords';
import type { Broadcast } from './broadcastSchema';

export interface BroadcastLintOptions {
  /** The loaded flows: `start` is checked against them, their settings fill {{placeholders}}. Undefined when they did not load. */
  readonly flows?: FlowSet;
  /** MARKETING_AD_ACCOUNT_ID, when configured: a marketing_message broadcast needs it. */
  readonly adAccountId?: string;
}

/** What Meta requires before a Page may use the Marketing Messages API (docs/messenger-platform.md §4.3). */
export const MARKETING_REQUIREMENTS =
  'Meta requires App Review of ads_management, pages_messaging and paid_marketing_messages (or marketing_messages_messenger), ' +
  'an ad account with a payment method, a business in an eligible country, and recipients outside the EU, the UK, Japan, ' +
  'South Korea and Australia (docs/messenger-platform.md §4.3)';

/** The node a broadcast's messages are checked as, so the flows' own message checks apply unchanged. */
const NODE = 'message';

/**
 * The broadcast linter: everything the zod schema cannot see. The kind's rules (Meta's, in
 * docs/messenger-platform.md §4), `start` against the loaded flows, and each message through the
 * flows' own Send API checks (lintMessageLimits, then the render backstop). Pure. Errors refuse the
 * broadcast; warnings are reported and it may still be sent.
 */
export function lintBroadcast(b: Broadcast, file: string, locate: Locate, options: BroadcastLintOptions = {}): Problem[] {
  const out: Problem[] = [];
  const report = reporter(file, undefined, locate, out);
  const settings = options.flows?.settings ?? settingsSchema.parse({});
  kindRules(b, report, options);
  if (b.start !== undefined) lintStart(b, b.start, report, options.flows);
  if (b.messages !== undefined) lintMessages(b, b.messages, file, locate, out, settings, options.flows);
  // By line, so the report reads down the file; problems without a line first.
  return out
    .map((p, i) => ({ p, i }))
    .sort((a, b2) => (a.p.line ?? 0) - (b2.p.line ?? 0) || a.i - b2.i)
    .map(({ p }) => p);
}

function kindRules(b: Broadcast, report: Reporter, options: BroadcastLintOptions): void {
  if (b.kind === 'marketing_message') {
    if (options.adAccountId === undefined)
      report.error(
        ['kind'],
        `a marketing_message broadcast is sent through Meta's Marketing Messages API, which needs an ad account, and MARKETING_AD_ACCOUNT_ID is not set; ${MARKETING_REQUIREMENTS}`,
        'set MARKETING_AD_ACCOUNT_ID=act_<digits> once the app has passed that review, or use kind: promotional (inside the messaging window only)',
      );
    if (b.start !== undefined)
      report.error(
        ['start'],
        'a marketing_message broadcast sends one message campaign through Meta; it cannot start a flow node',
        'write the message under messages, or use kind: promotional to start a flow',
      );
  }
  if (b.kind === 'promotional' && !requiresOpenWindow(b.audience.all))
    report.warn(
      ['audience'],
      'promotional content may reach a user only inside their messaging window (24 h after their last message, 7 days after a click-to-Messenger ad); this audience does not require it, so users outside their window will be skipped with reason outside_window',
      'add window=open (or window<Nh) to the audience to count only those who can receive it, or keep it to see the skips',
    );
  if (b.kind === 'tagged' && b.audience.all.length === 0)
    report.warn(
      ['audience'],
      `the tag ${b.tag} may be used only for people it is true for (e.g. those with a recent order), but this audience is everyone`,
      'narrow the audience to the people the update concerns, e.g. where: ["tag=ordered"]',
    );
}

/** A top-level window=open or closesWithinHours condition (inside `any` it may not hold for everyone). */
const requiresOpenWindow = (all: readonly Condition[]): boolean =>
  all.some((c) => ('window' in c && c.window === 'open') || ('closesWithinHours' in c && c.closesWithinHours !== undefined));

function lintStart(b: Broadcast, start: string, report: Reporter, flows: FlowSet | undefined): void {
  if (!flows) return; // the flows' own problems are reported instead
  const [flowId = '', nodeId = ''] = start.split('/');
  const loaded = flows.flows.get(flowId);
  if (!loaded) {
    report.error(
      ['start'],
      `start ${quote(start)}: there is no flow ${quote(flowId)}`,
      `use one of: ${[...flows.flows.keys()].join(', ')}`,
    );
    return;
  }
  const node = loaded.flow.nodes[nodeId];
  if (!node) {
    report.error(
      ['start'],
      `start ${quote(start)}: flow ${quote(flowId)} has no node ${quote(nodeId)}`,
      `use one of its nodes: ${Object.keys(loaded.flow.nodes).join(', ')}`,
    );
    return;
  }
  if (b.kind === 'tagged')
    (node.say ?? []).forEach((spec, i) => {
      const word = firstPromotionalWord(spec);
      if (word) report.warn(['start'], taggedWordMessage(b.tag, `node ${quote(start)} (say ${i})`, word), TAGGED_FIX);
    });
}

function lintMessages(
  b: Broadcast,
  messages: readonly MessageSpec[],
  file: string,
  locate: Locate,
  out: Problem[],
  settings: Settings,
  flows: FlowSet | undefined,
): void {
  // The flows' checks report paths inside a node (nodes.message.say.<i>…); here they are messages.<i>….
  const toFile = (p: Path): Path => (p[0] === 'nodes' && p[2] === 'say' ? ['messages', ...p.slice(3)] : p);
  const inner = reporter(file, undefined, locate, out);
  const report: Reporter = {
    error: (p, m, f) => inner.error(toFile(p), m, f),
    warn: (p, m, f) => inner.warn(toFile(p), m, f),
    errors: inner.errors,
  };
  const flow: Flow = { id: b.id, start: NODE, triggers: [], nodes: { [NODE]: { say: [...messages] } } };
  const loaded: LoadedFlow = { flow, file, version: '' };
  const scope: FlowScope = { loaded, flow, settings, report };
  if (messages.every((m) => 'typing' in m))
    report.error(
      ['messages'],
      'the broadcast has only typing indicators: nothing to send',
      'add a message (text, cards, image…)',
    );
  const answered = flows ? answeredPayloads(flows.flows.values()) : undefined;
  messages.forEach((spec, i) => {
    if ('typing' in spec) return;
    const path = ['nodes', NODE, 'say', i];
    const before = report.errors();
    lintMessageLimits(scope, path, spec);
    if (report.errors() === before) backstopMessage(scope, NODE, i, spec);
    lintDetachedControls(spec, ['messages', i], report, answered, { sender: 'a broadcast', whole: 'broadcast' });
    if (b.kind === 'tagged') {
      if (spec.promotional === true)
        report.error(
          ['messages', i, 'promotional'],
          `a message marked promotional cannot go out under the tag ${b.tag}: Meta bans promotional content under every tag`,
          'remove it from this broadcast, or make the broadcast kind: promotional',
        );
      const word = firstPromotionalWord(spec);
      if (word) report.warn(['messages', i], taggedWordMessage(b.tag, 'this message', word), TAGGED_FIX);
    }
  });
}

const TAGGED_FIX =
  'keep a tagged update strictly about the event, purchase or account; send offers as kind: promotional (inside the window) or marketing_message';
const taggedWordMessage = (tag: string, what: string, word: string): string =>
  `${what} contains ${quote(word)}, which reads as promotional; messages under the tag ${tag} must not be (Meta bans deals, offers, coupons and discounts under every tag)`;
