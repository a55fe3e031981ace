import { Agent, request } from 'node:http';
import { signBody } from '../../src/webhook/verifySignature';
import { TEST_SECRET } from './testEnv';

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/** Keep-alive agent so concurrency tests measure the server, not TCP handshakes. */
export const keepAlive = (maxSockets: number) => new Agent({ keepAlive: true, maxSockets });

/** POSTs raw bytes with the given headers over node:http (no fetch: we need bytes as-is). */
export function post(
  port: number,
  path: string,
  body: Buffer | string,
  headers: Record<string, string>,
  agent?: Agent,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs a body to the webhook signed as Meta would sign it. */
export function postSigned(port: number, body: Buffer | string, agent?: Agent, secret = TEST_SECRET): Promise<HttpResult> {
  return post(
    port,
    '/webhooks/messenger',
    body,
    { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, secret) },
    agent,
  );
}

export async function get(port: number, path: string): Promise<HttpResult> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/**
 * Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. The
 * timeout is generous on purpose: the wait ends as soon as the condition holds, so it costs
 * nothing when things work, and a loaded machine only makes the test slower, not red.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
