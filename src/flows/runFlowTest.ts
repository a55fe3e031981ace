import { initialCommentLaneState } from '../engine/commentEvents';
import type { EngineEvent } from '../engine/engineEvent';
import type { FlowSet } from '../engine/flowSet';
import { GET_STARTED_PAYLOAD } from '../engine/payloads';
import type { ProfileLookup } from '../engine/transition';
import { initialUserState, type UserState } from '../engine/userState';
import { describeExpected, describeView, mismatch, tappables, viewOf, type MessageView } from './botMessages';
import { checkComment, describeComment, playComment } from './commentTurn';
import { newOutput, spoken, step, wait, type DiffLine, type Sim, type TurnOutput } from './conversationSim';
import type { ExpectedMessage, FlowTest, FlowTestTurn } from './flowTestSchema';
import type { LoadedFlowTest } from './loadFlowTests';

export type { DiffLine } from './conversationSim';

export interface TurnFailure {
  /** 1-based. */
  readonly turn: number;
  readonly line: number;
  /** What the customer did, in words. */
  readonly action: string;
  readonly problems: readonly string[];
  readonly diff: readonly DiffLine[];
  /** The conversation before the turn (its last lines). */
  readonly before: readonly string[];
}

/** What a test reached and checked: flow/node, flow/node/control, and branch keys (see flowCoverage). */
export interface Reached {
  readonly nodes: Set<string>;
  readonly controls: Set<string>;
  readonly branches: Set<string>;
  readonly requests: Set<string>;
}

export interface FlowTestResult {
  readonly file: string;
  readonly name: string;
  readonly failure?: TurnFailure;
  readonly reached: Reached;
}

const CONTEXT_LINES = 8;

export const emptyReached = (): Reached => ({ nodes: new Set(), controls: new Set(), branches: new Set(), requests: new Set() });

function initialState(test: FlowTest): UserState {
  const s = initialUserState();
  const g = test.given;
  return g ? { ...s, fields: { ...g.fields }, tags: [...g.tags], ab: { ...g.ab } } : s;
}

function describeAction(t: FlowTestTurn): string {
  if (t.say !== undefined) return `customer says ${JSON.stringify(t.say)}`;
  if (t.tap !== undefined) return `customer taps ${JSON.stringify(typeof t.tap === 'string' ? t.tap : t.tap.title)}`;
  if (t.get_started) return 'customer taps Get Started';
  if (t.postback !== undefined) return `customer taps the menu item ${t.postback}`;
  if (t.ref !== undefined) return `customer opens m.me/…?ref=${t.ref}`;
  if (t.ad) return `customer arrives from an ad${t.ad.ref ? ` (ref ${t.ad.ref})` : ''}`;
  if (t.attachment) return `customer sends a ${t.attachment}`;
  if (t.wait !== undefined) return `${spoken(t.wait)} pass`;
  if (t.person !== undefined)
    return typeof t.person === 'string'
      ? `a person ${t.person.replace('_', ' ')}`
      : `a person says ${JSON.stringify(t.person.says)}`;
  if (t.comment !== undefined) return describeComment(t.comment);
  return 'check';
}

/** The tap's event, or why nothing the bot offered has that title. */
function tapEvent(sim: Sim, tap: NonNullable<FlowTestTurn['tap']>): EngineEvent | string {
  const { title, card } = typeof tap === 'string' ? { title: tap, card: undefined } : tap;
  const offered = sim.offered.flatMap(tappables);
  const hit = offered.find((t) => t.title === title && (card === undefined || t.card === card));
  if (!hit) {
    const titles = offered.map((t) => (t.card ? `${t.title} (card ${t.card})` : t.title));
    return `nothing titled ${JSON.stringify(title)} to tap; the bot's last messages offered: ${titles.join(' | ') || 'nothing'}`;
  }
  if (hit.payload === undefined) return `${JSON.stringify(title)} is a ${hit.kind}: tapping it sends the bot nothing`;
  return { type: 'payload', payload: hit.payload, text: title, at: sim.now };
}

/** Plays the turn's action; returns an error when it cannot be played. */
function act(sim: Sim, t: FlowTestTurn, out: TurnOutput, profile: () => ProfileLookup | undefined): string | undefined {
  if (t.wait !== undefined) return void wait(sim, t.wait, out);
  if (t.comment !== undefined) return void playComment(sim, t.comment, out);
  sim.now += 1000; // actions a second apart
  const at = sim.now;
  let event: EngineEvent | string;
  if (t.say !== undefined)
    // While a person has the thread, Meta delivers the customer's words on standby.
    event =
      sim.state.thread === 'human' ? { type: 'standby_message', text: t.say, sentAt: at } : { type: 'text', text: t.say, at };
  else if (t.tap !== undefined) event = tapEvent(sim, t.tap);
  else if (t.get_started) event = { type: 'payload', payload: GET_STARTED_PAYLOAD, text: 'Get Started', at };
  else if (t.postback !== undefined) event = { type: 'payload', payload: t.postback, text: t.postback, at };
  else if (t.ref !== undefined)
    event = { type: 'referral', ref: t.ref, fromAd: false, referral: { ref: t.ref, source: 'SHORTLINK', adId: null }, at };
  else if (t.ad) {
    const referral = { ref: t.ad.ref ?? null, source: 'ADS', adId: t.ad.ad_id };
    event = { type: 'referral', ref: t.ad.ref ?? '', fromAd: true, referral, at };
  } else if (t.attachment) event = { type: 'attachment', at };
  else if (t.person === 'takes_over') event = { type: 'control_taken' };
  else if (t.person === 'hands_back') event = { type: 'control_returned', at };
  else if (t.person !== undefined) event = { type: 'agent_message', text: t.person.says };
  else return undefined;
  if (typeof event === 'string') return event;
  step(sim, event, out, event.type === 'agent_message' || event.type.startsWith('control') ? undefined : profile());
  // Timers due at once (a sequence's first step with no delay) fire right after, as the runtime's would.
  wait(sim, 0, out);
  return undefined;
}

/**
 * Lines up the expected messages with the bot's (a longest common subsequence of matching pairs),
 * so one message too many or too few shows as one line of the diff, not as every later one differing.
 */
function align(
  expected: readonly ExpectedMessage[],
  views: readonly MessageView[],
): Array<[number | undefined, number | undefined]> {
  const ok = (i: number, j: number) => mismatch(expected[i] as ExpectedMessage, views[j] as MessageView) === undefined;
  const n = expected.length;
  const m = views.length;
  const best: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      (best[i] as number[])[j] = ok(i, j)
        ? 1 + (best[i + 1]?.[j + 1] ?? 0)
        : Math.max(best[i + 1]?.[j] ?? 0, best[i]?.[j + 1] ?? 0);
  const pairs: Array<[number | undefined, number | undefined]> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && ok(i, j)) pairs.push([i++, j++]);
    else if (i < n && j < m && (best[i + 1]?.[j] ?? 0) === (best[i]?.[j + 1] ?? 0)) pairs.push([i++, j++]);
    else if (j < m && (i >= n || (best[i]?.[j + 1] ?? 0) > (best[i + 1]?.[j] ?? 0))) pairs.push([undefined, j++]);
    else pairs.push([i++, undefined]);
  }
  return pairs;
}

/** Compares the bot's messages with the expected ones; a pair that differs shows both, with why. */
function compareMessages(t: FlowTestTurn, out: TurnOutput, problems: string[], diff: DiffLine[]): void {
  const views = out.sends.map(viewOf);
  const expected = t.bot ?? [];
  for (const [i, j] of align(expected, views)) {
    const e = i === undefined ? undefined : expected[i];
    const v = j === undefined ? undefined : views[j];
    const why = e !== undefined && v !== undefined ? mismatch(e, v) : undefined;
    if (e !== undefined && v !== undefined && !why) {
      diff.push({ sign: ' ', text: `bot: ${describeView(v)}` });
      continue;
    }
    if (e !== undefined) diff.push({ sign: '-', text: `bot: ${describeExpected(e)}` });
    if (v !== undefined) diff.push({ sign: '+', text: `bot: ${describeView(v)}` });
    problems.push(
      i === undefined
        ? `the bot's message ${(j ?? 0) + 1} was not expected`
        : j === undefined
          ? `expected message ${i + 1} never came`
          : `expected message ${i + 1}: ${why ?? ''}`,
    );
  }
  if (t.silent && views.length === 0) diff.push({ sign: ' ', text: '(the bot says nothing)' });
  if (t.silent && views.length > 0) diff.unshift({ sign: '-', text: '(the bot says nothing)' });
}

function checkHandover(t: FlowTestTurn, out: TurnOutput, problems: string[], diff: DiffLine[]): void {
  if (t.handover === undefined) return;
  const handed = out.handovers.length > 0;
  const line = (yes: boolean) => (yes ? '→ hands the conversation to a person' : '(keeps the conversation)');
  if (handed === t.handover) diff.push({ sign: ' ', text: line(handed) });
  else {
    diff.push({ sign: '-', text: line(t.handover) }, { sign: '+', text: line(handed) });
    problems.push(t.handover ? 'the bot did not hand over to a person' : `the bot handed over (${out.handovers.join(', ')})`);
  }
}

/** Checks on the customer's record: fields, tags, consent, who owns the thread. */
function checkState(t: FlowTestTurn, state: UserState, problems: string[]): void {
  for (const [k, want] of Object.entries(t.fields ?? {})) {
    const got = state.fields[k];
    if (want === null ? got !== undefined : got !== want)
      problems.push(`field ${k}: expected ${JSON.stringify(want)}, it is ${got === undefined ? 'not set' : JSON.stringify(got)}`);
  }
  for (const tag of t.tags ?? [])
    if (!state.tags.includes(tag)) problems.push(`tag ${tag} missing (tags: ${state.tags.join(', ') || 'none'})`);
  for (const tag of t.not_tags ?? []) if (state.tags.includes(tag)) problems.push(`tag ${tag} present, expected absent`);
  for (const [topic, want] of Object.entries(t.consent ?? {})) {
    const got = state.consent[topic]?.subscribed === true;
    if (got !== want)
      problems.push(
        `consent ${topic}: expected ${want ? 'subscribed' : 'not subscribed'}, it is ${got ? 'subscribed' : 'not subscribed'}`,
      );
  }
  if (t.thread !== undefined && state.thread !== t.thread) problems.push(`thread: expected ${t.thread}, it is ${state.thread}`);
}

/** Nodes and branches this turn went through (a branch key: flow/node#arm). */
function noteReached(sim: Sim, out: TurnOutput, reached: Reached): void {
  for (const list of out.entered) {
    list.forEach((key, i) => {
      reached.nodes.add(key);
      const [flow = '', node = ''] = key.split('/');
      const spec = sim.flows.flows.get(flow)?.flow.nodes[node];
      const next = list[i + 1]?.split('/')[1];
      const arms = spec?.branch?.map((b) => ('else' in b ? b.else : b.goto)) ?? spec?.randomize?.map((r) => r.goto);
      const arm = arms && next !== undefined ? arms.indexOf(next) : -1;
      if (arm >= 0) reached.branches.add(`${key}#${arm}`);
    });
  }
  for (const r of out.requests) reached.requests.add(`${r.name}@${r.outcome}`);
}

function controlOf(payload: string): string | undefined {
  const m = /^TS\|([^|]+)\|([^|]+)\|([sa]\w+)$/.exec(payload);
  return m ? `${m[1]}/${m[2]}/${m[3]}` : undefined;
}

/** Runs one test on the flows; stops at the first failing turn. */
export function runFlowTest(flows: FlowSet, loaded: LoadedFlowTest): FlowTestResult {
  const { test, file, turnLines } = loaded;
  const sim: Sim = {
    flows,
    state: initialState(test),
    now: Date.parse(test.start),
    timers: new Map(),
    stubs: test.requests.map((s) => ({ ...s, used: false })),
    offered: [],
    commentLane: initialCommentLaneState(),
  };
  let profileGiven = false;
  const profile = (): ProfileLookup | undefined => {
    if (profileGiven || !test.profile) return undefined;
    profileGiven = true;
    return { ok: true, ...test.profile };
  };
  const reached = emptyReached();
  const transcript: string[] = [];
  for (const [i, t] of test.turns.entries()) {
    const out = newOutput();
    const problems: string[] = [];
    const diff: DiffLine[] = [];
    const actionError = act(sim, t, out, profile);
    if (actionError) problems.push(actionError);
    else {
      problems.push(...out.errors);
      // A comment turn lists all the Page does: a private reply it does not name is unexpected.
      if (t.bot !== undefined || t.silent || t.comment !== undefined) compareMessages(t, out, problems, diff);
      checkComment(t, out, problems, diff);
      checkHandover(t, out, problems, diff);
      checkState(t, sim.state, problems);
    }
    const action = describeAction(t);
    if (problems.length > 0) {
      const failure = { turn: i + 1, line: turnLines[i] ?? 1, action, problems, diff, before: transcript.slice(-CONTEXT_LINES) };
      return { file, name: test.name, failure, reached };
    }
    if (t.bot !== undefined || t.silent || t.comment !== undefined) noteReached(sim, out, reached);
    if (t.tap !== undefined) {
      const { title, card } = typeof t.tap === 'string' ? { title: t.tap, card: undefined } : t.tap;
      const hit = sim.offered.flatMap(tappables).find((x) => x.title === title && (card === undefined || x.card === card));
      const control = controlOf(hit?.payload ?? '');
      if (control) reached.controls.add(control);
    }
    if (out.sends.length > 0) sim.offered = out.sends;
    transcript.push(
      action,
      ...out.sends.map((m) => `  bot: ${describeView(viewOf(m))}`),
      ...out.publicReplies.map((r) => `  public reply: ${JSON.stringify(r)}`),
    );
  }
  return { file, name: test.name, reached };
}
