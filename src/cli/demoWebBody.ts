import type { IncomingMessage } from 'node:http';

/**
 * A request body read up to `limit` bytes, for the demo page's routes; undefined when it is longer
 * (by its Content-Length, or as it streams: the rest is drained unread, never held in memory).
 */
export function readCappedBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** What a demo route answers: a status and a JSON body. */
export type DemoReply = { status: number; body: Record<string, unknown> };

/**
 * A demo route's JSON body, at most `limit` bytes, or the refusal to answer with. JSON only: a form
 * post from another site (no CORS preflight) cannot make the demo sign a webhook for it.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number,
  what: string,
): Promise<{ ok: true; value: unknown } | { ok: false; reply: DemoReply }> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    return { ok: false, reply: { status: 415, body: { error: `send the ${what} as JSON (content-type: application/json)` } } };
  const raw = await readCappedBody(req, limit);
  if (raw === undefined) return { ok: false, reply: { status: 413, body: { error: `the ${what} is at most ${limit} bytes` } } };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, reply: { status: 400, body: { error: 'the body is not JSON' } } };
  }
}
