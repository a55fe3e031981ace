import { AggregatorRegistry, Registry, collectDefaultMetrics } from 'prom-client';
import { LISTENER_METRICS } from './metrics';

/** One Page's own registry (created without the process metrics), by Page id. */
export interface PageRegistry {
  readonly page: string;
  readonly registry: Registry;
}

type Family = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

/**
 * The /metrics of a deployment serving several Pages (issue #18; docs/pages.md): every Page's
 * series with a `page` label, the process's metrics (CPU, heap, event loop) once without one, and
 * each family's `# HELP` / `# TYPE` once, as Prometheus requires. Read at scrape time, so a scrape
 * sees each Page's registry as it is then (its inbox lag read from its store).
 *
 * The webhook's and the admin API's families (LISTENER_METRICS) are the environment's Page's
 * listeners', which serve every Page: they keep their own labels (the webhook labels
 * talkshop_webhook_events_received_total by page itself) and come from that registry only.
 */
export class PagesRegistry extends Registry {
  private readonly process = new Registry();

  constructor(
    private readonly home: PageRegistry,
    private readonly others: readonly PageRegistry[],
  ) {
    super();
    collectDefaultMetrics({ register: this.process, prefix: 'talkshop_' });
  }

  override async getMetricsAsJSON(): Promise<Family[]> {
    const [process, pages] = await Promise.all([this.process.getMetricsAsJSON(), this.pagesRegistry()]);
    return [...process, ...(await pages.getMetricsAsJSON())];
  }

  override async metrics(): Promise<string> {
    const [process, pages] = await Promise.all([this.process.metrics(), this.pagesRegistry()]);
    return `${process}\n${await pages.metrics()}`;
  }

  /** Every Page's families, labelled with its page, one family per name in the home registry's order. */
  private async pagesRegistry(): Promise<Registry> {
    const pages = [this.home, ...this.others];
    const all = await Promise.all(
      pages.map(async ({ page, registry }) => withPage(page, await registry.getMetricsAsJSON(), page === this.home.page)),
    );
    // One "worker" holding every Page's families: page labels differ, so summing series with the
    // same labels only puts each family's series together under one # HELP and # TYPE.
    return AggregatorRegistry.aggregate([all.flat()]);
  }
}

/** A Page's families with its page label; the listeners' families only from the home Page, as they are. */
function withPage(page: string, families: readonly Family[], home: boolean): Family[] {
  return families.flatMap((f) => {
    if (LISTENER_METRICS.has(f.name)) return home ? [{ ...f, aggregator: 'sum' as const }] : [];
    return [{ ...f, aggregator: 'sum' as const, values: f.values.map((v) => ({ ...v, labels: { ...v.labels, page } })) }];
  });
}
