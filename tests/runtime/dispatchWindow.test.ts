import { DispatchWindow } from '../../src/runtime/dispatchWindow';

/** Most reserved moments in any half-open window of `w` ms. */
const busiest = (moments: readonly number[], w: number): number => {
  let most = 0;
  for (let i = 0, j = 0; i < moments.length; i++) {
    while ((moments[i] as number) - (moments[j] as number) >= w) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
};

describe('DispatchWindow', () => {
  it('calls asked for all at once leave at most `limit` per window, the rest as soon as the window allows', () => {
    const t = 0;
    const window = new DispatchWindow(290, 1000, () => t);
    const moments = Array.from({ length: 1000 }, () => t + (window.reserve() ?? NaN));
    expect(moments.slice(0, 290).every((m) => m === 0)).toBe(true);
    expect(moments[290]).toBe(1000);
    expect(busiest(moments, 1000)).toBe(290);
  });

  it('bunched grants (the event loop late, then many at once) never put more than `limit` in any window', () => {
    let t = 0;
    const window = new DispatchWindow(10, 1000, () => t);
    const moments: number[] = [];
    // 10 calls a second for 5 s, but arriving in clumps every 350 ms, with a long stall in the middle.
    for (let step = 0; step < 20; step++) {
      t = step * 350 + (step === 8 ? 600 : 0);
      for (let i = 0; i < 4; i++) moments.push(t + (window.reserve() ?? NaN));
    }
    expect(busiest(moments, 1000)).toBeLessThanOrEqual(10);
    expect([...moments].sort((a, b) => a - b)).toEqual(moments); // in order
  });

  it('a call that would have to wait longer than it may reserves nothing', () => {
    let t = 0;
    const window = new DispatchWindow(2, 1000, () => t);
    expect(window.reserve(0)).toBe(0);
    expect(window.reserve(0)).toBe(0);
    expect(window.reserve(0)).toBeUndefined();
    t = 1000;
    expect(window.reserve(0)).toBe(0);
  });
});
