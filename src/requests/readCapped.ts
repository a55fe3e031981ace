import type { Dispatcher } from 'undici';

/**
 * The response body as text, read up to `cap` bytes: a longer one (by its Content-Length, or as
 * it streams) is cut off at once and its connection closed, so a 50 MB answer never sits in memory.
 */
export async function readCapped(res: Dispatcher.ResponseData, cap: number): Promise<string | 'too_large'> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) {
    discard(res.body);
    return 'too_large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > cap) {
      discard(res.body);
      return 'too_large';
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Closes a response body not to be read (its connection with it). undici reports the abort as an
 * 'error' on the body, which is expected here and must not surface as an unhandled one.
 */
export function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}
