import type { Action, Flow, MessageSpec, Settings } from '../engine/flowSchema';
import type { LoadedFlow } from '../engine/flowSet';
import type { SequenceStep } from '../engine/sequenceSchema';
import { lintMessageLimits } from './lintLimits';
import { backstopMessage } from './lintRender';
import { answeredPayloads, lintDetachedControls } from './lintDetachedControls';
import { controlsOf, nodeEntries, quote, reporter, type FlowScope, type Path, type Reporter } from './lintScope';
import type { LoadedSequence } from './loadSequences';
import type { Locate, Problem } from './problem';
import { promotionalWordInMessage } from './promotionalWords';

/** The messaging window that the event which subscribed the user opened (docs/messenger-platform.md §4). */
const WINDOW_MS = 24 * 3_600_000;
/** The node a step's messages are checked as, so the flows' own message checks apply unchanged. */
const NODE = 'step';

/**
 * The sequence linter: what the zod schema cannot see. Each step's messages through the flows' own
 * Send API checks (lintMessageLimits, then the render backstop), `start` against the flows, Meta's
 * rules for each kind, the topic against the flows' subscribe actions, and the flows'
 * start_sequence / stop_sequence actions against the sequences. `knownIds`: every id written in a
 * sequence file, valid or not. Pure. Errors refuse the load; warnings are reported.
 */
export function lintSequences(
  sequences: readonly LoadedSequence[],
  knownIds: ReadonlySet<string>,
  flows: readonly LoadedFlow[],
  settings: Settings,
  locate: Locate,
): Problem[] {
  const out: Problem[] = [];
  sequenceReferences(flows, knownIds, locate, out);
  const topics = subscribedTopics(flows, settings);
  const flowsById = new Map(flows.map((f) => [f.flow.id, f.flow]));
  for (const { sequence, file } of sequences) {
    const report = reporter(file, undefined, locate, out);
    if (!topics.has(sequence.topic))
      report.warn(
        ['topic'],
        `no flow ever subscribes anyone to the topic ${quote(sequence.topic)} (no \`subscribe: ${sequence.topic}\` action, and it is not settings.topic), so every step would be skipped for lack of consent`,
        `add \`- subscribe: ${sequence.topic}\` next to the flow's \`start_sequence: ${sequence.id}\`, or use a topic the flows subscribe users to (${[...topics].join(', ') || 'none yet'})`,
      );
    let sinceSubscription = 0;
    sequence.steps.forEach((step, i) => {
      sinceSubscription = step.from === 'subscription' ? step.delay : sinceSubscription + step.delay;
      const scope = { report, base: ['steps', i] as Path, step, settings, file, locate, out };
      kindRules(scope, sinceSubscription);
      if (step.start !== undefined) lintStart(scope, step.start, flowsById);
      if (step.messages !== undefined) lintMessages(scope, step.messages, flows);
    });
  }
  // By file, then line, so the report reads down each file; problems without a line first.
  return out
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.file.localeCompare(b.p.file) || (a.p.line ?? 0) - (b.p.line ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

interface StepScope {
  readonly report: Reporter;
  readonly base: Path;
  readonly step: SequenceStep;
  readonly settings: Settings;
  readonly file: string;
  readonly locate: Locate;
  readonly out: Problem[];
}

const hours = (ms: number): string => (ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : `${Math.round(ms / 360_000) / 10} h`);

function kindRules({ report, base, step }: StepScope, sinceSubscription: number): void {
  if (step.kind === 'promotional' && sinceSubscription >= WINDOW_MS)
    report.warn(
      [...base, 'delay'],
      `step ${quote(step.id)} is promotional and falls due ${hours(sinceSubscription)} after the subscription, when the 24-hour window of the event that subscribed the user has closed: it will mostly be skipped as outside_window (it reaches only users who wrote again in the last 24 h)`,
      'make it tagged if it is a non-promotional update about their event, order or account, or marketing_message; or move it inside the first 24 h',
    );
  if (step.kind === 'marketing_message') {
    report.warn(
      [...base, 'kind'],
      `step ${quote(step.id)} is a marketing_message: sent only when MARKETING_AD_ACCOUNT_ID is set (the sequence's campaign is made at Meta on its first send) and only to subscribers with an active Marketing Messages token; the others are skipped as no_token (Meta's paid Marketing Messages API: docs/broadcasts.md)`,
      'keep it if the Page uses Marketing Messages; otherwise remove the step, or make it promotional inside the first 24 h',
    );
    if (step.start !== undefined)
      report.error(
        [...base, 'start'],
        `step ${quote(step.id)}: a marketing_message sends one message through Meta's campaign; it cannot start a flow node`,
        'write the message under messages, or make the step promotional (inside the first 24 h) to start a flow',
      );
  }
}

function lintStart({ report, base, step }: StepScope, start: string, flows: ReadonlyMap<string, Flow>): void {
  const [flowId = '', nodeId = ''] = start.split('/');
  const flow = flows.get(flowId);
  if (!flow) {
    report.error(
      [...base, 'start'],
      `start ${quote(start)}: there is no flow ${quote(flowId)}`,
      `use one of: ${[...flows.keys()].join(', ')}`,
    );
    return;
  }
  const node = flow.nodes[nodeId];
  if (!node) {
    report.error(
      [...base, 'start'],
      `start ${quote(start)}: flow ${quote(flowId)} has no node ${quote(nodeId)}`,
      `use one of its nodes: ${Object.keys(flow.nodes).join(', ')}`,
    );
    return;
  }
  if (step.kind === 'tagged')
    (node.say ?? []).forEach((spec, j) => {
      const word = promotionalWordInMessage(spec);
      if (word) report.warn([...base, 'start'], taggedWord(step, `node ${quote(start)} (say ${j})`, word), TAGGED_FIX);
    });
}

function lintMessages(s: StepScope, messages: readonly MessageSpec[], flows: readonly LoadedFlow[]): void {
  const { step, base } = s;
  // The flows' checks report paths inside a node (nodes.step.say.<j>…); here they are steps.<i>.messages.<j>….
  const toFile = (p: Path): Path => (p[0] === 'nodes' && p[2] === 'say' ? [...base, 'messages', ...p.slice(3)] : p);
  const inner = reporter(s.file, undefined, s.locate, s.out);
  const report: Reporter = {
    error: (p, m, f) => inner.error(toFile(p), m, f),
    warn: (p, m, f) => inner.warn(toFile(p), m, f),
    errors: inner.errors,
  };
  const flow: Flow = { id: step.id, start: NODE, triggers: [], nodes: { [NODE]: { say: [...messages] } } };
  const scope: FlowScope = { loaded: { flow, file: s.file, version: '' }, flow, settings: s.settings, report };
  if (messages.every((m) => 'typing' in m))
    report.error(
      [...base, 'messages'],
      `step ${quote(step.id)} has only typing indicators: nothing to send`,
      'add a message (text, cards, image…)',
    );
  const answered = answeredPayloads(flows);
  messages.forEach((spec, j) => {
    if ('typing' in spec) return;
    const before = report.errors();
    lintMessageLimits(scope, ['nodes', NODE, 'say', j], spec);
    if (report.errors() === before) backstopMessage(scope, NODE, j, spec);
    lintDetachedControls(spec, [...base, 'messages', j], report, answered, { sender: 'a sequence step', whole: 'step' });
    if (step.kind !== 'tagged') return;
    if (spec.promotional === true)
      report.error(
        [...base, 'messages', j, 'promotional'],
        `a message marked promotional cannot go out under the tag ${step.tag ?? ''}: Meta bans promotional content under every tag`,
        'move it to a promotional step inside the first 24 h, or to a marketing_message step',
      );
    const word = promotionalWordInMessage(spec);
    if (word) report.warn([...base, 'messages', j], taggedWord(step, 'this message', word), TAGGED_FIX);
  });
}

const TAGGED_FIX =
  'keep a tagged step strictly about the event, purchase or account; send offers in a promotional step (inside the first 24 h) or a marketing_message step';
const taggedWord = (step: SequenceStep, what: string, word: string): string =>
  `step ${quote(step.id)} is tagged ${step.tag ?? ''}, but ${what} contains ${quote(word)}, which reads as promotional (Meta bans deals, offers, coupons and discounts under every tag)`;

/** Every action list of a flow with its path: each node's, and each button's or quick reply's. */
function actionLists(flow: Flow): Array<[Path, readonly Action[]]> {
  return nodeEntries(flow).flatMap(([id, node]): Array<[Path, readonly Action[]]> => [
    ...(node.actions ? [[['nodes', id, 'actions'], node.actions] as [Path, readonly Action[]]] : []),
    ...controlsOf(flow, id).flatMap((c): Array<[Path, readonly Action[]]> =>
      c.control.actions ? [[[...c.path, 'actions'], c.control.actions]] : [],
    ),
  ]);
}

/** The topics anyone can get subscribed to: the flows' subscribe actions, and START's settings.topic. */
function subscribedTopics(flows: readonly LoadedFlow[], settings: Settings): Set<string> {
  const topics = new Set<string>(settings.topic === undefined ? [] : [settings.topic]);
  for (const { flow } of flows)
    for (const [, actions] of actionLists(flow)) for (const a of actions) if ('subscribe' in a) topics.add(a.subscribe);
  return topics;
}

/** start_sequence / stop_sequence actions naming a sequence no file defines. */
function sequenceReferences(flows: readonly LoadedFlow[], known: ReadonlySet<string>, locate: Locate, out: Problem[]): void {
  for (const { flow, file } of flows) {
    const report = reporter(file, flow.id, locate, out);
    for (const [path, actions] of actionLists(flow))
      actions.forEach((a, i) => {
        const [key, id] =
          'start_sequence' in a
            ? ['start_sequence', a.start_sequence]
            : 'stop_sequence' in a
              ? ['stop_sequence', a.stop_sequence]
              : [];
        if (key === undefined || id === undefined || known.has(id)) return;
        report.error(
          [...path, i, key],
          `${key}: ${id} names no sequence: there is no sequences/*.yaml with id ${quote(id)}`,
          known.size > 0
            ? `use one of: ${[...known].join(', ')}, or add sequences/${id}.yaml (docs/sequences.md)`
            : `add sequences/${id}.yaml in the flows directory (docs/sequences.md)`,
        );
      });
  }
}
