import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createClient } from 'redis';
import { FlowsInvalidError } from '../src/errors';
import { textMessageBody } from '../src/cli/sendEvent';
import { partitionOf } from '../src/store/partitionOf';
import { startService } from '../src/server';
import { keysFor } from '../src/store/keys';
import { deletePrefix } from './support/redisKeys';
import { spawnService } from './support/spawnService';
import { TEST_PAGE, TEST_REDIS_URL, testConfig, testEnv } from './support/testEnv';
import { get, keepAlive, postSigned, waitFor } from './support/webhookClient';

describe('operations endpoints', () => {
  it('serves healthz, readyz and Prometheus metrics with the ingress and worker figures', async () => {
    const config = testConfig({ REDIS_URL: undefined });
    const service = await startService(config);
    try {
      expect(await get(service.port, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
      const ready = await get(service.port, '/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: 'ready', checks: { store: 'ok', worker: 'ok (16 partitions)' } });
      await postSigned(service.port, textMessageBody(TEST_PAGE, 'm-user', 'hi', Date.now(), 'm_metrics_1'));
      await postSigned(service.port, textMessageBody(TEST_PAGE, 'm-user', 'hi', Date.now(), 'm_metrics_1'));
      await postSigned(service.port, '{"object":"page"');
      const metrics = await waitFor('the event applied', async () => {
        const m = (await get(service.port, '/metrics')).body;
        return m.includes('talkshop_events_applied_total{kind="message"} 1') ? m : undefined;
      });
      expect(metrics).toContain('talkshop_webhook_events_received_total{kind="message",channel="messaging"} 2');
      expect(metrics).toContain('talkshop_webhook_events_deduped_total 1');
      expect(metrics).toContain('talkshop_webhook_requests_rejected_total{reason="malformed_json"} 1');
      expect(metrics).toMatch(/talkshop_inbox_lag\{partition="\d+"\} 0/);
      expect(metrics).toContain('talkshop_handler_duration_seconds_count 1');
      expect(metrics).toContain('talkshop_worker_partitions_held 16');
      expect((await get(service.port, '/nope')).status).toBe(404);
    } finally {
      await service.stop();
    }
  });
});

describe('start-up with flows', () => {
  it('refuses invalid flows, naming the file, line, node and fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'talkshop-flows-'));
    writeFileSync(
      join(dir, 'broken.yaml'),
      'id: broken\nstart: hello\nnodes:\n  hello:\n    say:\n      - text: hi\n    next: nowhere\n',
    );
    // If it wrongly starts, stop it again so the failure is reported instead of hanging the suite.
    const outcome = await startService(testConfig({ REDIS_URL: undefined, FLOWS_DIR: dir })).then(
      (s) => s.stop().then(() => 'started'),
      (err: unknown) => err,
    );
    expect(outcome).toBeInstanceOf(FlowsInvalidError);
    expect((outcome as Error).message).toMatch(/broken\.yaml:7 flow broken node hello: .*nowhere[\s\S]*fix:/);
  });

  it('runs the shipped demo flows: a first message gets the welcome', async () => {
    const service = await startService(testConfig({ REDIS_URL: undefined }));
    try {
      await postSigned(service.port, textMessageBody(TEST_PAGE, 'new-user', 'hello', Date.now(), 'm_flow_1'));
      const outbox = await waitFor('the welcome in the outbox', async () => {
        const all = (
          await Promise.all(Array.from({ length: 16 }, (_, p) => service.store.states.readOutbox(p, '0-0', 100)))
        ).flat();
        return all.length > 0 ? all : undefined;
      });
      expect(outbox.map((o) => o.effect.body)).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'mark_seen' }), expect.objectContaining({ type: 'send' })]),
      );
      expect(JSON.stringify(outbox)).toContain('Welcome to Northwind Outfitters');
    } finally {
      await service.stop();
    }
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM finishes in-flight items, releases every lease and exits 0', async () => {
    const env = testEnv({ INBOX_PARTITIONS: '8', LEASE_TTL_MS: '30000' });
    const prefix = env.REDIS_KEY_PREFIX as string;
    const keys = keysFor(prefix);
    const svc = await spawnService(env);
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      const agent = keepAlive(10);
      const acks = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          postSigned(svc.port, textMessageBody(TEST_PAGE, `u${i % 20}`, 'x', Date.now(), `m_term_${i}`), agent),
        ),
      );
      agent.destroy();
      expect(acks.every((a) => a.status === 200)).toBe(true);
      expect(await redis.exists(keys.lease(0))).toBe(1);
      svc.proc.kill('SIGTERM');
      expect(await svc.exited()).toBe(0);
      const leases = await Promise.all(Array.from({ length: 8 }, (_, p) => redis.exists(keys.lease(p))));
      expect(leases).toEqual(Array(8).fill(0));
      expect(await redis.zCard(keys.workers())).toBe(0);
      expect(svc.logs.some((l) => l.msg === 'talkshop stopped')).toBe(true);
      // Whatever was not applied before the stop is still in the inbox for the next worker.
      const applied = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const p = partitionOf(TEST_PAGE, `u${i}`, 8);
          return Number((await redis.hGet(keys.state(p, `${TEST_PAGE}:u${i}`), 'v')) ?? 0);
        }),
      );
      const pending = (await Promise.all(Array.from({ length: 8 }, (_, p) => redis.xLen(keys.inbox(p))))).reduce(
        (a, b) => a + b,
        0,
      );
      expect(applied.reduce((a, b) => a + b, 0) + pending).toBe(200);
    } finally {
      svc.proc.kill('SIGKILL');
      await redis.quit();
      await deletePrefix(prefix);
    }
  });
});

/** Whether a TCP connection to host:port is accepted (the admin API must not be, on public addresses). */
const reachable = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host, () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
  });

describe('the admin listener', () => {
  it('is its own port on 127.0.0.1 by default, even when the public listener is on every address; stop closes it', async () => {
    const service = await startService(
      testConfig({ REDIS_URL: undefined, HOST: '0.0.0.0', ADMIN_TOKEN: 'admin-token-0123456789', ADMIN_PORT: '0' }),
    );
    const adminPort = service.adminPort!;
    try {
      expect(adminPort).toBeGreaterThan(0);
      expect(adminPort).not.toBe(service.port);
      // 127.0.0.2 is loopback too, but not the address the admin listener is bound to: a listener
      // on 0.0.0.0 (like the public one here) accepts it, one on 127.0.0.1 does not.
      expect(await reachable('127.0.0.2', service.port)).toBe(true);
      expect(await reachable('127.0.0.2', adminPort)).toBe(false);
      expect(await reachable('127.0.0.1', adminPort)).toBe(true);
      const onPublic = await fetch(`http://127.0.0.1:${service.port}/admin/threads`, {
        headers: { authorization: 'Bearer admin-token-0123456789' },
      });
      expect(onPublic.status).toBe(404);
      const onAdmin = await fetch(`http://127.0.0.1:${adminPort}/admin/threads`, {
        headers: { authorization: 'Bearer admin-token-0123456789' },
      });
      expect(onAdmin.status).toBe(200);
    } finally {
      await service.stop();
    }
    expect(await reachable('127.0.0.1', adminPort)).toBe(false);
  });

  it('does not start without a token, and says so', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
    const service = await startService(testConfig({ REDIS_URL: undefined }), { logger });
    try {
      expect(service.adminPort).toBeUndefined();
      expect(lines.join('')).toContain('admin API off');
    } finally {
      await service.stop();
    }
  });

  it('refuses to start when ADMIN_PORT is taken, naming the setting', async () => {
    const taken = createTcpServer();
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => resolve((taken.address() as AddressInfo).port)),
    );
    try {
      const outcome = await startService(
        testConfig({
          REDIS_URL: undefined,
          PORT: '0',
          ADMIN_TOKEN: 'admin-token-0123456789',
          ADMIN_PORT: String(port),
        }),
      ).then(
        (s) => s.stop().then(() => new Error('started')),
        (err: unknown) => err as Error,
      );
      expect(outcome.message).toMatch(/admin API cannot listen on 127\.0\.0\.1:\d+ .*set ADMIN_PORT/);
    } finally {
      taken.close();
    }
  });
});
