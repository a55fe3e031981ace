import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOpsApp, type OpsDeps } from '../../src/http/opsApp';
import { createMetrics } from '../../src/metrics';

/** Serves the ops app on a free loopback port for one test. */
async function serve(deps: Partial<OpsDeps>): Promise<{ url: string; close: () => Promise<void> }> {
  const app = createOpsApp({
    metrics: createMetrics(),
    readiness: async () => ({ ready: true, checks: {} }),
    metricsPublic: true,
    ...deps,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('the public ops app', () => {
  it('answers a fault of ours with JSON and a request id, never the stack trace; the error goes to onError', async () => {
    const seen: Array<[unknown, string]> = [];
    const ops = await serve({
      readiness: () => Promise.reject(new Error('readiness exploded at /work/main/src/secret.ts:12')),
      onError: (err, id) => seen.push([err, id]),
    });
    try {
      const res = await fetch(`${ops.url}/readyz`);
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(text).not.toMatch(/<html|exploded|\n\s+at |\/work\//i);
      const body = JSON.parse(text) as { error: string; requestId: string };
      expect(body.error).toBe('internal');
      expect(seen).toHaveLength(1);
      expect(seen[0]![1]).toBe(body.requestId);
      expect((seen[0]![0] as Error).message).toContain('exploded');
    } finally {
      await ops.close();
    }
  });

  it('serves /metrics only when METRICS_PUBLIC; /admin is an unknown path here', async () => {
    const open = await serve({ metricsPublic: true });
    const closed = await serve({ metricsPublic: false });
    try {
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      const hidden = await fetch(`${closed.url}/metrics`);
      expect(hidden.status).toBe(404);
      expect(await hidden.json()).toMatchObject({ error: 'not_found' });
      const admin = await fetch(`${open.url}/admin/threads`, { headers: { authorization: 'Bearer whatever-token-123456' } });
      expect(admin.status).toBe(404);
      expect(await admin.json()).toMatchObject({ error: 'not_found' });
    } finally {
      await open.close();
      await closed.close();
    }
  });

  it('answers /readyz with { status, checks } for one Page, and adds pages for several', async () => {
    const one = await serve({ readiness: async () => ({ ready: true, checks: { store: 'ok' } }) });
    const several = await serve({
      readiness: async () => ({
        ready: false,
        checks: { store: 'ok' },
        pages: { total: 2, ready: 1, notReady: { '2000000000000002': { store: 'unreachable' } } },
      }),
    });
    try {
      const res = await fetch(`${one.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', checks: { store: 'ok' } });
      const notReady = await fetch(`${several.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: 'not_ready',
        checks: { store: 'ok' },
        pages: { total: 2, ready: 1, notReady: { '2000000000000002': { store: 'unreachable' } } },
      });
    } finally {
      await one.close();
      await several.close();
    }
  });
});
