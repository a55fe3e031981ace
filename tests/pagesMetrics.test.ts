/**
 * One /metrics for several Pages (#18, src/pagesMetrics.ts): every Page's series with its page
 * label, the process metrics once without one, each family declared once; the listeners' families
 * (webhook, admin) as the environment's Page's registry has them, never with a page label doubled.
 */
import { createMetrics } from '../src/metrics';
import { PagesRegistry } from '../src/pagesMetrics';
import { parsePromText, type PromSample } from './support/promText';

const A = '1000000000000001';
const B = '2000000000000002';

function twoPages() {
  const a = createMetrics({ processMetrics: false, pendingCounts: async () => [3, 0] });
  const b = createMetrics({ processMetrics: false, pendingCounts: async () => [0, 7] });
  const shown = new PagesRegistry({ page: A, registry: a.registry }, [{ page: B, registry: b.registry }]);
  return { a, b, shown };
}

const of = (samples: PromSample[], name: string) => samples.filter((s) => s.name === name);

describe('PagesRegistry', () => {
  it("shows each Page's series with its page label, each family declared once, the process metrics once", async () => {
    const { a, b, shown } = twoPages();
    a.eventsApplied.inc({ kind: 'message' }, 2);
    b.eventsApplied.inc({ kind: 'message' }, 5);
    a.handlerSeconds.observe(0.002);
    b.handlerSeconds.observe(0.2);
    const samples = parsePromText(await shown.metrics());

    expect(of(samples, 'talkshop_events_applied_total')).toEqual([
      expect.objectContaining({ labels: { kind: 'message', page: A }, value: 2 }),
      expect.objectContaining({ labels: { kind: 'message', page: B }, value: 5 }),
    ]);
    const counts = of(samples, 'talkshop_handler_duration_seconds_count');
    expect(counts.map((s) => [s.labels, s.value])).toEqual([
      [{ page: A }, 1],
      [{ page: B }, 1],
    ]);
    // Read at scrape time from each Page's own store.
    expect(of(samples, 'talkshop_inbox_lag').map((s) => [s.labels, s.value])).toEqual([
      [{ partition: '0', page: A }, 3],
      [{ partition: '1', page: A }, 0],
      [{ partition: '0', page: B }, 0],
      [{ partition: '1', page: B }, 7],
    ]);
    // The process metrics once, without a page label.
    const heap = of(samples, 'talkshop_nodejs_heap_size_total_bytes');
    expect(heap).toHaveLength(1);
    expect(heap[0]?.labels).toEqual({});
    expect(of(samples, 'talkshop_process_cpu_user_seconds_total')).toHaveLength(1);
    // Every other series names its Page.
    const unlabelled = samples.filter(
      (s) => !/^talkshop_(process|nodejs)_|^talkshop_(webhook|admin)_/.test(s.family) && s.labels.page === undefined,
    );
    expect(unlabelled).toEqual([]);
  });

  it("keeps the listeners' families as the environment's Page counts them: no page label added or doubled", async () => {
    const { a, b, shown } = twoPages();
    a.eventsReceived.inc({ kind: 'message', channel: 'messaging', page: B });
    a.eventsReceived.inc({ kind: 'message', channel: 'messaging', page: A });
    a.requestsRejected.inc({ reason: 'bad_signature' });
    a.eventsOtherPage.inc({ page: '3000000000000003' });
    b.requestsRejected.inc({ reason: 'never_counted_by_a_worker' });
    const text = await shown.metrics();
    const samples = parsePromText(text);

    expect(of(samples, 'talkshop_webhook_events_received_total').map((s) => s.labels)).toEqual([
      { kind: 'message', channel: 'messaging', page: B },
      { kind: 'message', channel: 'messaging', page: A },
    ]);
    expect(of(samples, 'talkshop_webhook_requests_rejected_total').map((s) => s.labels)).toEqual([{ reason: 'bad_signature' }]);
    expect(of(samples, 'talkshop_webhook_events_other_page_total').map((s) => s.labels)).toEqual([{ page: '3000000000000003' }]);
    expect(of(samples, 'talkshop_webhook_events_deduped_total').map((s) => s.labels)).toEqual([{}]);
    expect(text).not.toContain('never_counted_by_a_worker');
  });

  it('one Page keeps its registry as it was: the process metrics and no page label anywhere', async () => {
    const one = createMetrics({ pendingCounts: async () => [1] });
    one.eventsApplied.inc({ kind: 'message' });
    one.eventsReceived.inc({ kind: 'message', channel: 'messaging' });
    const samples = parsePromText(await one.registry.metrics());
    expect(samples.filter((s) => 'page' in s.labels)).toEqual([]);
    expect(of(samples, 'talkshop_webhook_events_received_total').map((s) => s.labels)).toEqual([
      { kind: 'message', channel: 'messaging' },
    ]);
    expect(of(samples, 'talkshop_nodejs_heap_size_total_bytes')).toHaveLength(1);
  });

  it('getMetricsAsJSON gives the same families, each once', async () => {
    const { shown } = twoPages();
    const names = (await shown.getMetricsAsJSON()).map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('talkshop_events_applied_total');
    expect(names).toContain('talkshop_nodejs_heap_size_total_bytes');
  });
});
