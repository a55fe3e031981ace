import { funnelField } from '../../src/engine/funnel';
import { transition } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { HOUR, T0, flowSet, text } from './engineFixtures';

/** Flow funnels: users reaching each node, once per user, node and day, overall and per A/B variant. */
const shop = {
  id: 'shop',
  start: 'hello',
  triggers: [
    { keyword: 'hi', goto: 'hello' },
    { keyword: 'offer', goto: 'split' },
  ],
  fallback: { text: 'Sorry?' },
  nodes: {
    hello: { say: [{ text: 'Hi' }], next: 'menu' },
    menu: { say: [{ text: 'Menu' }], end: true },
    split: {
      randomize: [
        { goto: 'a', weight: 1 },
        { goto: 'b', weight: 1 },
      ],
    },
    a: { say: [{ text: 'A' }], next: 'menu' },
    b: { say: [{ text: 'B' }], next: 'menu' },
  },
};
const funnels = (stats: readonly string[] | undefined) => (stats ?? []).filter((f) => f.startsWith('_funnel|'));

describe('flow funnels', () => {
  it('counts each node a user reaches once per day (the Page day), again the next day', () => {
    const flows = flowSet([shop]);
    const first = transition(flows, initialUserState(), text('hi'), T0);
    expect(funnels(first.stats)).toEqual([funnelField('2026-11-23', 'shop', 'hello'), funnelField('2026-11-23', 'shop', 'menu')]);
    const again = transition(flows, first.state, text('hi'), T0 + HOUR);
    expect(funnels(again.stats)).toEqual([]);
    const tomorrow = transition(flows, again.state, text('hi'), T0 + 24 * HOUR);
    expect(funnels(tomorrow.stats)).toEqual([
      funnelField('2026-11-24', 'shop', 'hello'),
      funnelField('2026-11-24', 'shop', 'menu'),
    ]);
  });

  it("uses the Page's zone for the day when settings name one", () => {
    // 2026-11-23 23:30 UTC is already the 24th in Tokyo.
    const flows = flowSet([shop], { timezone: 'Asia/Tokyo' });
    const r = transition(flows, initialUserState(), text('hi'), Date.UTC(2026, 10, 23, 23, 30));
    expect(funnels(r.stats)[0]).toBe(funnelField('2026-11-24', 'shop', 'hello'));
  });

  it('counts the nodes after an A/B split per variant too', () => {
    const flows = flowSet([shop]);
    const s: UserState = transition(flows, initialUserState(), text('hi'), T0).state;
    const r = transition(flows, s, text('offer'), T0 + HOUR);
    const variant = r.state.ab['shop:split'] as string;
    expect(['a', 'b']).toContain(variant);
    expect(funnels(r.stats)).toEqual([
      funnelField('2026-11-23', 'shop', 'split'),
      funnelField('2026-11-23', 'shop', variant),
      funnelField('2026-11-23', 'shop', variant, `split=${variant}`),
    ]);
  });
});
