/**
 * Where JSON text stops being valid JSON: the offset of the first character a JSON parser must
 * refuse (or the text's length when it ends too early), or undefined when it is valid. Node's
 * JSON.parse names the position for some errors only, and a catalog's problem must name a line.
 * Run only after JSON.parse failed, so speed does not matter; nesting deeper than 512 counts as
 * an error where it gets too deep (no recursion: a hostile file cannot overflow the stack).
 */
const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * The end (just past the closing quote) of the JSON string opening at `i`, or -(where it breaks) - 1.
 * A loop, not a regex: a regex over a string of millions of characters overflows V8's stack.
 */
function stringEnd(text: string, i: number): number {
  if (text[i] !== '"') return -i - 1;
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) return j + 1;
    if (c < 0x20) return -j - 1;
    if (c !== 0x5c) continue;
    const e = text[j + 1] ?? '';
    if (ESCAPES.has(e)) j++;
    else if (e === 'u' && HEX4.test(text.slice(j + 2, j + 6))) j += 5;
    else return -(j + 1) - 1;
  }
  return -text.length - 1;
}
const MAX_DEPTH = 512;

export function jsonErrorAt(text: string): number | undefined {
  let i = 0;
  const skip = () => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  /** A string at i, consumed; false (i at the fault) when there is none. */
  const string = () => {
    const end = stringEnd(text, i);
    i = end >= 0 ? end : -end - 1;
    return end >= 0;
  };
  const match = (re: RegExp) => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  /** A scalar at i, consumed; false when there is none. */
  // A broken string leaves i at its fault, so nothing else may be tried after it.
  const scalar = () =>
    text[i] === '"'
      ? string()
      : match(NUMBER) || ['true', 'false', 'null'].some((w) => text.startsWith(w, i) && ((i += w.length), true));
  // Each open container: '[' or '{', and whether a value (array) or key (object) comes next.
  const stack: Array<'[' | '{'> = [];
  let wantValue = true;
  for (;;) {
    skip();
    if (wantValue) {
      const c = text[i];
      if (c === '[' || c === '{') {
        if (stack.length >= MAX_DEPTH) return i;
        stack.push(c);
        i++;
        skip();
        if (text[i] === (c === '[' ? ']' : '}')) {
          stack.pop();
          i++;
          wantValue = false;
          if (stack.length === 0) break;
          continue;
        }
        if (c === '{') {
          if (!string()) return i;
          skip();
          if (text[i] !== ':') return i;
          i++;
        }
        continue;
      }
      if (!scalar()) return i;
      wantValue = false;
      if (stack.length === 0) break;
      continue;
    }
    const top = stack[stack.length - 1];
    const c = text[i];
    if (c === ',') {
      i++;
      if (top === '{') {
        skip();
        if (!string()) return i;
        skip();
        if (text[i] !== ':') return i;
        i++;
      }
      wantValue = true;
      continue;
    }
    if (c === (top === '[' ? ']' : '}')) {
      stack.pop();
      i++;
      if (stack.length === 0) break;
      continue;
    }
    return i;
  }
  skip();
  return i < text.length ? i : undefined;
}
