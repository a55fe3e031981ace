/**
 * /readyz for several Pages (#18, src/http/pagesReadiness.ts): ready only when every Page is; the
 * body counts the Pages and names each one that is not ready with its checks. One Page's body is
 * unchanged ({ status, checks }: tests/http/opsApp.test.ts).
 */
import { pagesReadiness } from '../../src/http/pagesReadiness';
import type { Readiness } from '../../src/http/opsApp';

const ok: Readiness = { ready: true, checks: { store: 'ok', worker: 'ok (16 partitions)' } };
const page = (id: string, r: Readiness | Error) => ({
  page: id,
  readiness: () => (r instanceof Error ? Promise.reject(r) : Promise.resolve(r)),
});

describe('pagesReadiness', () => {
  it("is ready when every Page is; checks stay the home Page's", async () => {
    const r = await pagesReadiness(page('A', ok), [page('B', ok), page('C', ok)])();
    expect(r).toEqual({ ready: true, checks: ok.checks, pages: { total: 3, ready: 3, notReady: {} } });
  });

  it('names each Page that is not ready and why, the home Page included; a failing check is a reason', async () => {
    const down: Readiness = { ready: false, checks: { store: 'unreachable', worker: 'not heartbeating' } };
    const r = await pagesReadiness(page('A', ok), [page('B', down), page('C', new Error('boom')), page('D', ok)])();
    expect(r.ready).toBe(false);
    expect(r.pages).toEqual({
      total: 4,
      ready: 2,
      notReady: { B: down.checks, C: { readiness: 'check failed: boom' } },
    });
    const homeDown = await pagesReadiness(page('A', down), [page('B', ok)])();
    expect(homeDown).toMatchObject({ ready: false, checks: down.checks, pages: { ready: 1, notReady: { A: down.checks } } });
  });
});
