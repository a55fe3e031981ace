import { dayRange, funnelReport } from '../../src/broadcasts/funnelReport';

describe('funnelReport', () => {
  it('lists the days asked for, oldest first', () => {
    expect(dayRange('2026-03-01', 3)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });

  it("sums one flow's nodes per day and per variant, in the flow's order, leaving other flows and days out", () => {
    const counters = {
      '2026-11-23|shop/welcome': 10,
      '2026-11-24|shop/welcome': 7,
      '2026-11-24|shop/upsell_a': 3,
      '2026-11-24|shop/upsell_a|size_ok=upsell_a': 3,
      '2026-11-24|shop/bye|size_ok=upsell_a': 1,
      '2026-11-24|shop/bye|size_ok=upsell_b': 2,
      '2026-11-24|shop/bye': 3,
      '2026-11-24|support/ask': 5,
      '2026-11-01|shop/welcome': 99,
    };
    const report = funnelReport(counters, 'shop', ['2026-11-23', '2026-11-24'], ['welcome', 'menu', 'upsell_a']);
    expect(report.nodes).toEqual([
      { node: 'welcome', perDay: { '2026-11-23': 10, '2026-11-24': 7 }, total: 17, perVariant: {} },
      { node: 'menu', perDay: {}, total: 0, perVariant: {} },
      { node: 'upsell_a', perDay: { '2026-11-24': 3 }, total: 3, perVariant: { 'size_ok=upsell_a': 3 } },
      { node: 'bye', perDay: { '2026-11-24': 3 }, total: 3, perVariant: { 'size_ok=upsell_a': 1, 'size_ok=upsell_b': 2 } },
    ]);
  });
});
