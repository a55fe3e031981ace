/** An entry of a sequence that comes after a higher one. */
export interface Overtaken {
  /** Its place in the sequence. */
  readonly index: number;
  /** The highest entry before it. */
  readonly after: number;
}

/**
 * The entries of `seq` lower than one before them: the benches' per-user order checks (the soak's
 * marks by when they were typed, the reply bench's counts by when they arrived). NaN, a reply that
 * is not a count, is never lower and never raises the bar.
 */
export function overtaken(seq: readonly number[]): Overtaken[] {
  const found: Overtaken[] = [];
  let highest = -Infinity;
  seq.forEach((n, index) => {
    if (n < highest) found.push({ index, after: highest });
    else if (n > highest) highest = n;
  });
  return found;
}
