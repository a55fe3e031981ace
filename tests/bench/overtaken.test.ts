import { overtaken } from '../../bench/overtaken';

describe('overtaken: the entries lower than one before them', () => {
  it('none in an ascending sequence, repeats included', () => {
    expect(overtaken([])).toEqual([]);
    expect(overtaken([1, 2, 2, 5])).toEqual([]);
  });

  it('each entry below the highest before it, with that highest', () => {
    // [2, 0, 1]: both 0 and 1 came after 2 (not only the first step down).
    expect(overtaken([2, 0, 1])).toEqual([
      { index: 1, after: 2 },
      { index: 2, after: 2 },
    ]);
    expect(overtaken([1, 3, 2, 4])).toEqual([{ index: 2, after: 3 }]);
  });

  it('NaN (a reply that is no count) is never lower and never raises the bar', () => {
    expect(overtaken([1, Number.NaN, 2])).toEqual([]);
    expect(overtaken([5, Number.NaN, 6, 2])).toEqual([{ index: 3, after: 6 }]);
  });
});
