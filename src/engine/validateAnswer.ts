import type { Ask } from './flowSchema';
import type { Scalar } from './interpolate';
import { normalize } from './normalize';

export type AnswerOutcome = { readonly ok: true; readonly value: Scalar; readonly goto?: string } | { readonly ok: false };

/**
 * local@domain.tld: one @, no spaces, something before the @, and a dot in the domain with something
 * before it and at least two characters after. Checked with string scans, not `[^\s@]+\.[^\s@]{2,}`,
 * whose two runs overlap on the dots and backtrack quadratically over a long domain.
 */
function isEmail(text: string): boolean {
  const at = text.indexOf('@');
  if (at < 1 || text.indexOf('@', at + 1) !== -1 || /\s/u.test(text)) return false;
  const domain = text.slice(at + 1);
  // The first dot leaves the most after it; "two characters" counts code points, as the `u` regex did.
  const dot = domain.indexOf('.', 1);
  return dot !== -1 && [...domain.slice(dot + 1)].length >= 2;
}

function isoDate(y: number, m: number, d: number): string | undefined {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return undefined;
  return date.toISOString().slice(0, 10);
}

/** Accepts 2026-12-24, 24.12.2026 and 24/12/2026 (day first), and only real calendar dates. */
function parseDate(text: string): string | undefined {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (iso) return isoDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const dayFirst = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(text);
  if (dayFirst) return isoDate(Number(dayFirst[3]), Number(dayFirst[2]), Number(dayFirst[1]));
  return undefined;
}

/** Plain decimals only: "7.5", "7,5" (decimal comma), "1,000" / "1 000" (thousands), "-3". */
function parseNumber(text: string, ask: Ask): number | undefined {
  const compact = text.replace(/\s/g, '');
  const normal = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(compact)
    ? compact.replace(/,/g, '')
    : compact.replace(/^([+-]?\d+),(\d+)$/, '$1.$2');
  if (!/^[+-]?\d+(\.\d+)?$/.test(normal)) return undefined;
  const n = Number(normal);
  if ((ask.min !== undefined && n < ask.min) || (ask.max !== undefined && n > ask.max)) return undefined;
  return n;
}

function parsePhone(text: string): string | undefined {
  const compact = text.replace(/[\s().-]/g, '');
  return /^\+?\d{7,15}$/.test(compact) ? compact : undefined;
}

function parseChoice(text: string, ask: Ask): AnswerOutcome {
  const wanted = normalize(text);
  const choice = (ask.choices ?? []).find(
    (c) => normalize(c.title) === wanted || (c.value !== undefined && normalize(String(c.value)) === wanted),
  );
  return choice
    ? { ok: true, value: choice.value ?? choice.title, ...(choice.goto ? { goto: choice.goto } : {}) }
    : { ok: false };
}

/** Validates a free-text answer to a question; the value is what gets stored in `into`. */
export function validateAnswer(ask: Ask, input: string): AnswerOutcome {
  const text = input.trim();
  // A photo or sticker sent as an answer arrives as '' and is never a valid answer.
  if (text === '') return { ok: false };
  const wrap = (v: Scalar | undefined): AnswerOutcome => (v === undefined ? { ok: false } : { ok: true, value: v });
  switch (ask.capture) {
    case 'email':
      return wrap(isEmail(text) ? text.toLowerCase() : undefined);
    case 'phone':
      return wrap(parsePhone(text));
    case 'number':
      return wrap(parseNumber(text, ask));
    case 'date':
      return wrap(parseDate(text));
    case 'choice':
      return parseChoice(text, ask);
    case 'regex': {
      let re: RegExp;
      try {
        re = new RegExp(ask.pattern ?? '', 'iu'); // case-insensitive, like keyword patterns
      } catch {
        return { ok: false };
      }
      return wrap(re.test(text) ? text : undefined);
    }
    case 'text': {
      const length = [...text].length;
      const ok = length > 0 && length >= (ask.min ?? 1) && length <= (ask.max ?? 2000);
      return wrap(ok ? text : undefined);
    }
  }
}
