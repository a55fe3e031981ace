import fc from 'fast-check';
import { askSchema } from '../../src/engine/flowSchema';
import { validateAnswer } from '../../src/engine/validateAnswer';

const ask = (o: Record<string, unknown>) => askSchema.parse({ text: 'q', into: 'f', on_fail: 'x', ...o });
const ok = (a: ReturnType<typeof ask>, input: string) => validateAnswer(a, input);

describe('validateAnswer', () => {
  it.each([
    ['email', {}, ' Ann.Lee+shop@Example.co.UK ', 'ann.lee+shop@example.co.uk'],
    ['phone', {}, '+1 (555) 123-4567', '+15551234567'],
    ['phone', {}, '0612345678', '0612345678'],
    ['number', { min: 35, max: 48 }, '42', 42],
    ['number', { min: 0 }, '12,5', 12.5],
    ['number', {}, '1,000', 1000],
    ['number', {}, '1 250.5', 1250.5],
    ['number', {}, '-3', -3],
    ['regex', { pattern: '^[a-z]{3}$' }, 'ABC', 'ABC'],
    ['text', { min: 2, max: 10 }, '  Zoë  ', 'Zoë'],
    ['regex', { pattern: '^#?\\d{6}$' }, '#104233', '#104233'],
    ['date', {}, '2026-12-24', '2026-12-24'],
    ['date', {}, '24.12.2026', '2026-12-24'],
    ['date', {}, '1/2/2027', '2027-02-01'],
  ])('%s %j accepts %j as %j', (capture, extra, input, value) => {
    expect(ok(ask({ capture, ...extra }), input)).toEqual({ ok: true, value });
  });

  it.each([
    ['email', {}, 'ann@'],
    ['email', {}, 'ann example.com'],
    ['phone', {}, '12345'],
    ['phone', {}, 'call me'],
    ['number', { min: 35, max: 48 }, '49'],
    ['number', { min: 35, max: 48 }, '34.9'],
    ['number', {}, 'forty'],
    ['number', {}, '0x1A'],
    ['number', {}, '1e3'],
    ['number', {}, '1,2,3'],
    ['regex', { pattern: '^\\d*$' }, ''],
    ['number', {}, ''],
    ['text', { min: 2 }, 'a'],
    ['text', { max: 3 }, 'four'],
    ['text', {}, '   '],
    ['regex', { pattern: '^\\d{6}$' }, '12345'],
    ['regex', { pattern: '(' }, 'anything'],
    ['date', {}, '2026-02-30'],
    ['date', {}, '31/04/2026'],
    ['date', {}, 'tomorrow'],
  ])('%s %j refuses %j', (capture, extra, input) => {
    expect(ok(ask({ capture, ...extra }), input)).toEqual({ ok: false });
  });

  it('choice matches title or value, folding case and accents, and carries the choice goto', () => {
    const a = ask({ capture: 'choice', choices: [{ title: 'Café', value: 'coffee', goto: 'hot' }, { title: 'Tea' }] });
    expect(ok(a, 'cafe')).toEqual({ ok: true, value: 'coffee', goto: 'hot' });
    expect(ok(a, 'COFFEE')).toEqual({ ok: true, value: 'coffee', goto: 'hot' });
    expect(ok(a, 'tea!')).toEqual({ ok: true, value: 'Tea' });
    expect(ok(a, 'juice')).toEqual({ ok: false });
  });
});

describe('validateAnswer on hostile text', () => {
  // The former email regex, the reference for behaviour on short strings: its two runs around the
  // last dot overlap, so it backtracks quadratically over a long domain.
  const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/u;

  it('email accepts exactly what the former regex accepted', () => {
    const piece = fc.constantFrom('a', 'B', '.', '@', ' ', '\u00a0', '+', '-', '😀', 'co');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (parts) => {
        const text = parts.join('').trim();
        const outcome = ok(ask({ capture: 'email' }), text);
        expect(outcome.ok).toBe(text !== '' && EMAIL.test(text));
      }),
      { numRuns: 3000 },
    );
  });

  // Crafted against each validator; the email one took seconds with the former regex (64k characters).
  it.each([
    ['email', {}, `a@${'.'.repeat(64_000)}@`],
    ['email', {}, `a@${'a.'.repeat(32_000)}@`],
    ['phone', {}, `${'1 '.repeat(32_000)}x`],
    ['number', {}, `${'1,000'.repeat(12_800)}x`],
    ['number', {}, `${'1'.repeat(64_000)},`],
    ['date', {}, `${'1'.repeat(64_000)}-1-1`],
    ['choice', { choices: [{ title: 'Yes' }] }, `y${'!'.repeat(64_000)}s`],
    ['text', { max: 2000 }, 'x'.repeat(64_000)],
  ])('%s refuses a crafted 64k-character answer', (capture, extra, input) => {
    expect(ok(ask({ capture, ...extra }), input)).toEqual({ ok: false });
  });
});
