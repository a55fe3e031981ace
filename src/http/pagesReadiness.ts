import type { Readiness } from './opsApp';

/** One Page's readiness check, by Page id. */
export interface PageReadiness {
  readonly page: string;
  readonly readiness: () => Promise<Readiness>;
}

/**
 * /readyz of a deployment serving several Pages (issue #18; docs/pages.md): ready only when every
 * Page is. `checks` stay the environment's Page's (as with one Page); `pages` counts the Pages and
 * names each one that is not ready with its checks, so the answer stays small with 1,000 Pages.
 * A Page whose check itself fails is not ready, with the reason, rather than failing the probe.
 */
export function pagesReadiness(home: PageReadiness, others: readonly PageReadiness[]): () => Promise<Readiness> {
  return async () => {
    const all = [home, ...others];
    const results = await Promise.all(all.map((p) => p.readiness().catch(checkFailed)));
    const notReady: Record<string, Readonly<Record<string, string>>> = {};
    results.forEach((r, i) => {
      if (!r.ready) notReady[all[i]!.page] = r.checks;
    });
    const ready = results.filter((r) => r.ready).length;
    return {
      ready: ready === all.length,
      checks: results[0]!.checks,
      pages: { total: all.length, ready, notReady },
    };
  };
}

function checkFailed(err: unknown): Readiness {
  return { ready: false, checks: { readiness: `check failed: ${err instanceof Error ? err.message : String(err)}` } };
}
