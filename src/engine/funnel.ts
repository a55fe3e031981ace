import { localDate } from './businessHours';
import type { UserState } from './userState';

/** The part of a run (run.ts Run) a funnel count needs; structural, so this module does not import run.ts. */
interface Counting {
  readonly now: number;
  readonly state: UserState;
  readonly stats: string[];
  readonly flows: { readonly settings: { readonly timezone?: string | undefined } };
}

/*
 * Flow funnels: how many users reached each node, per day and per A/B variant. Counted in the
 * user's lane with the same counters as broadcasts (committed with the state, so a replayed event
 * never counts twice), once per user, node and day.
 */

/** The pseudo broadcast id the funnel counters live under (`_` is never in a broadcast id). */
export const FUNNEL_ID = '_funnel';
/** Nodes remembered per user per day; a flow set with more nodes than this counts the rest again. */
const REACHED_CAP = 500;

/** The counter of a node reached on `day` (YYYY-MM-DD), overall or within one A/B assignment (`key=target`). */
export const funnelField = (day: string, flow: string, node: string, variant?: string): string =>
  `${FUNNEL_ID}|${day}|${flow}/${node}${variant === undefined ? '' : `|${variant}`}`;

/** Counts the node for the funnel if the user has not reached it yet today. */
export function reachNode(run: Counting, flow: string, node: string): void {
  const day = localDate(run.now, run.flows.settings.timezone ?? 'UTC');
  const key = `${flow}/${node}`;
  const today = run.state.reached?.day === day ? run.state.reached.nodes : [];
  if (today.includes(key)) return;
  run.state.reached = { day, nodes: [...today, key].slice(-REACHED_CAP) };
  run.stats.push(funnelField(day, flow, node));
  // Per variant: the user's sticky A/B assignments in this flow ("flow:node" → the branch taken).
  for (const [ab, target] of Object.entries(run.state.ab))
    if (ab.startsWith(`${flow}:`)) run.stats.push(funnelField(day, flow, node, `${ab.slice(flow.length + 1)}=${target}`));
}
