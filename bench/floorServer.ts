/**
 * The bare floor for the webhook bench: node:http, read the body, one HMAC-SHA256 check, one
 * XADD to Redis, answer 200. No parsing, no dedupe, no worker: what any durable Messenger webhook
 * on Node and Redis must at least do. Run as a child process by bench/webhook.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { verifySignature } from '../src/webhook/verifySignature';

async function main(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = process.env.BENCH_FLOOR_PREFIX ?? 'bench-floor';
  const secret = process.env.MESSENGER_APP_SECRET ?? '';
  const key = `${prefix}:inbox`;
  const redis = createClient({ url });
  await redis.connect();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (!verifySignature(raw, req.headers['x-hub-signature-256'], secret)) {
        res.writeHead(403, { 'content-type': 'text/plain', 'content-length': 9 }).end('Forbidden');
        return;
      }
      // Capped so the floor does not fill Redis; trimming with ~ is amortised and cheap.
      redis.sendCommand(['XADD', key, 'MAXLEN', '~', '100000', '*', 'r', raw]).then(
        () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 14 }).end('EVENT_RECEIVED'),
        () => res.writeHead(503, { 'content-type': 'text/plain', 'content-length': 11 }).end('Unavailable'),
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'floor ready', port, pid: process.pid })}\n`);
  });
  const stop = () => {
    server.closeAllConnections();
    server.close(() => void redis.quit().finally(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`floor server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
