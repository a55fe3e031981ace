/**
 * A flow's funnel from the committed counters (engine/funnel.ts; read with BroadcastStore.stats
 * under FUNNEL_ID): per node, the users who reached it each day, and per A/B variant. Pure.
 */
export interface FunnelNode {
  readonly node: string;
  /** Users reaching it per day (YYYY-MM-DD), only the days asked for. */
  readonly perDay: Readonly<Record<string, number>>;
  readonly total: number;
  /** Per A/B assignment (`<randomize node>=<branch>`): users reaching it over the days asked for. */
  readonly perVariant: Readonly<Record<string, number>>;
}

export interface FunnelReport {
  readonly flow: string;
  readonly days: readonly string[];
  /** In the order given (the flow's node order), then any other node counted, by name. */
  readonly nodes: readonly FunnelNode[];
}

/** The `days` calendar days ending with `lastDay` (YYYY-MM-DD), oldest first. */
export function dayRange(lastDay: string, days: number): string[] {
  const end = Date.parse(`${lastDay}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

/** `counters`: field (after the FUNNEL_ID prefix: `<day>|<flow>/<node>[|<variant>]`) → count. */
export function funnelReport(
  counters: Readonly<Record<string, number>>,
  flow: string,
  days: readonly string[],
  nodeOrder: readonly string[] = [],
): FunnelReport {
  const wanted = new Set(days);
  const byNode = new Map<string, { perDay: Record<string, number>; total: number; perVariant: Record<string, number> }>();
  const row = (node: string) => {
    let r = byNode.get(node);
    if (!r) byNode.set(node, (r = { perDay: {}, total: 0, perVariant: {} }));
    return r;
  };
  for (const node of nodeOrder) row(node);
  for (const [field, n] of Object.entries(counters)) {
    const [day, path, variant] = field.split('|');
    if (!day || !path || !wanted.has(day) || !path.startsWith(`${flow}/`)) continue;
    const r = row(path.slice(flow.length + 1));
    if (variant === undefined) {
      r.perDay[day] = (r.perDay[day] ?? 0) + n;
      r.total += n;
    } else r.perVariant[variant] = (r.perVariant[variant] ?? 0) + n;
  }
  const listed = new Set(nodeOrder);
  const rest = [...byNode.keys()].filter((n) => !listed.has(n)).sort();
  return {
    flow,
    days,
    nodes: [...nodeOrder, ...rest].map((node) => ({ node, ...(byNode.get(node) ?? { perDay: {}, total: 0, perVariant: {} }) })),
  };
}
