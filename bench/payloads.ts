import { createHmac } from 'node:crypto';
import { textMessageBody } from '../src/cli/sendEvent';
import { signBody } from '../src/webhook/verifySignature';

/** What every request of a run shares; the generator turns it into raw HTTP/1.1 request bytes. */
export interface PayloadSpec {
  readonly path: string;
  readonly pageId: string;
  readonly appSecret: string;
  readonly users: number;
  /** Makes every mid of this run unique across runs and targets. */
  readonly runId: string;
}

/**
 * The user of request `seq`: a fixed pseudo-random spread over `users` PSIDs (the same sequence
 * for every target), so concurrent requests sometimes hit the same user, as real traffic does.
 */
export function userOf(seq: number, users: number): string {
  let x = (seq + 1) * 0x9e3779b1;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  return `bench-user-${(x >>> 0) % users}`;
}

/**
 * One signed Messenger text message as a complete HTTP/1.1 request (keep-alive is the 1.1
 * default). Both signature headers are sent to every target: Meta sends both, Talkshop checks
 * `X-Hub-Signature-256` (sha256) and Bottender 1.5 only the legacy `X-Hub-Signature` (sha1).
 */
export function requestBytes(spec: PayloadSpec, seq: number, now: number): Buffer {
  const body = textMessageBody(spec.pageId, userOf(seq, spec.users), `hello ${seq}`, now, `m_${spec.runId}_${seq}`);
  const sha1 = `sha1=${createHmac('sha1', spec.appSecret).update(body).digest('hex')}`;
  const head =
    `POST ${spec.path} HTTP/1.1\r\n` +
    `Host: 127.0.0.1\r\n` +
    `Content-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Hub-Signature-256: ${signBody(body, spec.appSecret)}\r\n` +
    `X-Hub-Signature: ${sha1}\r\n` +
    `\r\n`;
  return Buffer.from(head + body, 'utf8');
}

/**
 * Many requests packed into one buffer (offsets into it), built before the clock starts so the
 * generator spends nothing on JSON or HMACs while it measures, and leaves no garbage for the GC.
 */
export class RequestPool {
  private constructor(
    private readonly data: Buffer,
    private readonly offsets: Uint32Array,
    readonly size: number,
  ) {}

  static build(spec: PayloadSpec, firstSeq: number, count: number): RequestPool {
    const now = Date.now();
    const parts: Buffer[] = [];
    const offsets = new Uint32Array(count + 1);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const bytes = requestBytes(spec, firstSeq + i, now);
      parts.push(bytes);
      offsets[i] = total;
      total += bytes.length;
    }
    offsets[count] = total;
    return new RequestPool(Buffer.concat(parts, total), offsets, count);
  }

  get(i: number): Buffer {
    return this.data.subarray(this.offsets[i], this.offsets[i + 1]);
  }
}
