import type { Action, Flow, Settings } from './flowSchema';
import type { Catalog } from './catalog';
import type { Sequence } from './sequenceSchema';
import { buildQuestionIndex, type QuestionIndex } from './questionIndex';

/** A flow as loaded: its content, a version (hash of the file) and where it came from. */
export interface LoadedFlow {
  readonly flow: Flow;
  readonly version: string;
  readonly file: string;
}

/** What a tapped button or quick reply refers to. */
export interface ControlRef {
  readonly flow: string;
  readonly node: string;
  readonly control: string;
}

export interface Control {
  readonly goto?: string;
  readonly actions?: readonly Action[];
}

/** Everything the engine reads: immutable, built once at start-up (and on reload). */
export interface FlowSet {
  readonly flows: ReadonlyMap<string, LoadedFlow>;
  readonly settings: Settings;
  readonly defaultFlow: string;
  /** Payloads marketers wrote by hand (for external ads or menus) → the control they name. */
  readonly customPayloads: ReadonlyMap<string, ControlRef>;
  /** Drip sequences (FLOWS_DIR/sequences/), by id. */
  readonly sequences: ReadonlyMap<string, Sequence>;
  /** Product catalogs (FLOWS_DIR/catalogs/), by name, indexed for catalogCards(). */
  readonly catalogs: ReadonlyMap<string, Catalog>;
  /** Every flow's `questions`, indexed for matching typed text (questionIndex.ts). */
  readonly questions: QuestionIndex;
  /**
   * A language model may choose among the questions for text the local search could not place
   * (QUESTIONS_LLM_URL is set; questionModel.ts). The runtime sets it; absent: never asked.
   */
  readonly questionModel?: boolean;
}

type ControlVisitor = (control: string, c: Control & { payload?: string; title?: string }) => void;

/** Visits every tappable control of a node with its stable control id (see payloads.ts). */
export function forEachControl(flow: Flow, nodeId: string, visit: ControlVisitor): void {
  const node = flow.nodes[nodeId];
  if (!node) return;
  (node.say ?? []).forEach((m, i) => {
    if ('quick_replies' in m) (m.quick_replies ?? []).forEach((q, j) => 'title' in q && visit(`s${i}q${j}`, q));
    if ('buttons' in m) (m.buttons ?? []).forEach((b, j) => !('url' in b) && !('call' in b) && visit(`s${i}b${j}`, b));
    if ('cards' in m)
      m.cards.forEach((card, k) =>
        (card.buttons ?? []).forEach((b, j) => !('url' in b) && !('call' in b) && visit(`s${i}c${k}b${j}`, b)),
      );
  });
  (node.ask?.choices ?? []).forEach((c, i) => visit(`a${i}`, { goto: c.goto, title: c.title }));
}

export function controlAt(flow: Flow, nodeId: string, control: string): Control | undefined {
  let found: Control | undefined;
  forEachControl(flow, nodeId, (id, c) => {
    if (id === control) found = c;
  });
  return found;
}

export function buildFlowSet(
  flows: readonly LoadedFlow[],
  settings: Settings,
  sequences: readonly Sequence[] = [],
  catalogs: ReadonlyMap<string, Catalog> = new Map(),
): FlowSet {
  const first = flows[0];
  if (!first) throw new Error('no flows: add at least one flow file');
  const customPayloads = new Map<string, ControlRef>();
  for (const { flow } of flows) {
    for (const nodeId of Object.keys(flow.nodes)) {
      forEachControl(flow, nodeId, (control, c) => {
        if (c.payload) customPayloads.set(c.payload, { flow: flow.id, node: nodeId, control });
      });
    }
  }
  return {
    flows: new Map(flows.map((f) => [f.flow.id, f])),
    settings,
    defaultFlow: settings.default_flow ?? first.flow.id,
    customPayloads,
    sequences: new Map(sequences.map((s) => [s.id, s])),
    catalogs,
    questions: buildQuestionIndex(flows.map((f) => f.flow)),
  };
}
