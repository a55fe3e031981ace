/**
 * Where JSON text stops being valid JSON: the offset of the first character a JSON parser must
 * refuse (or the text's length when it ends too early), or undefined when it is valid. Node's
 * JSON.parse names the position for some errors only, and a catalog's problem must name a line.
 * Run only after JSON.parse failed, so speed does not matter; nesting deeper than 512 counts as
 * an error where it gets too deep (no recursion: a hostile file cannot overflow the stack).
 */
const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
// eslint-disable-next-line no-control-regex -- JSON strings may not hold raw control characters
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const MAX_DEPTH = 512;

export function jsonErrorAt(text: string): number | undefined {
  let i = 0;
  const skip = () => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  const match = (re: RegExp) => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  /** A scalar at i, consumed; false when there is none. */
  const scalar = () =>
    match(STRING) || match(NUMBER) || ['true', 'false', 'null'].some((w) => text.startsWith(w, i) && ((i += w.length), true));
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
          if (!match(STRING)) return i;
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
        if (!match(STRING)) return i;
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
