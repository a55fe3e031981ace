import { createHmac } from 'node:crypto';
import { signBody, verifySignature } from '../../src/webhook/verifySignature';

const SECRET = 'app-secret';
const body = Buffer.from('{"object":"page","entry":[]}');
const hex = createHmac('sha256', SECRET).update(body).digest('hex');

describe('verifySignature', () => {
  it('accepts a valid sha256 signature, in either hex case', () => {
    expect(verifySignature(body, `sha256=${hex}`, SECRET)).toBe(true);
    expect(verifySignature(body, `sha256=${hex.toUpperCase()}`, SECRET)).toBe(true);
    expect(signBody(body, SECRET)).toBe(`sha256=${hex}`);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['repeated header', [`sha256=${hex}`, `sha256=${hex}`]],
    ['legacy sha1 prefix', `sha1=${hex}`],
    ['no prefix', hex],
    ['upper-case prefix', `SHA256=${hex}`],
    ['too short', `sha256=${hex.slice(0, 63)}`],
    ['too long', `sha256=${hex}0`],
    ['non-hex', `sha256=${'z'.repeat(64)}`],
    ['wrong secret', signBody(body, 'other-secret')],
    ['other body', signBody('{"object":"page"}', SECRET)],
  ])('rejects %s without throwing', (_case, header) => {
    expect(verifySignature(body, header, SECRET)).toBe(false);
  });

  it('passes the published X-Hub-Signature-256 test vector', () => {
    // The HMAC-SHA256 example in GitHub's webhook docs (same header format Meta uses).
    const vector = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifySignature(Buffer.from('Hello, World!'), `sha256=${vector}`, "It's a Secret to Everybody")).toBe(true);
  });

  it('signs the raw bytes: Meta escapes non-ASCII (äöå as \\u00e4…) and the escaped bytes are what count', () => {
    // Meta's docs: the signature is computed over the escaped-unicode payload as sent.
    const escaped = Buffer.from('{"text":"\\u00e4\\u00f6\\u00e5"}');
    const decoded = Buffer.from(JSON.stringify(JSON.parse(escaped.toString())));
    expect(verifySignature(escaped, signBody(escaped, SECRET), SECRET)).toBe(true);
    expect(verifySignature(escaped, signBody(decoded, SECRET), SECRET)).toBe(false);
  });
});
