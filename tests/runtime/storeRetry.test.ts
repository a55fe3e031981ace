import pino from 'pino';
import { StoreUnavailableError } from '../../src/errors';
import { createMetrics } from '../../src/metrics';
import { retryStore } from '../../src/runtime/storeRetry';

const ctx = (active: () => boolean) => ({
  logger: pino({ level: 'silent' }),
  metrics: createMetrics(),
  sleep: () => Promise.resolve(),
  active,
  partition: 0,
});

describe('retryStore', () => {
  it('tries once even when the partition is already inactive (an ack during a graceful hand-over, lease still held)', async () => {
    const call = jest.fn(() => Promise.resolve(true));
    expect(
      await retryStore(
        'outbox ack',
        call,
        ctx(() => false),
      ),
    ).toBe(true);
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('does not retry an unavailable store once the partition is inactive', async () => {
    const call = jest.fn(() => Promise.reject(new StoreUnavailableError('down')));
    expect(
      await retryStore(
        'outbox ack',
        call,
        ctx(() => false),
      ),
    ).toBeUndefined();
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('retries an unavailable store while active, and passes other errors on', async () => {
    let n = 0;
    const flaky = () => (++n < 3 ? Promise.reject(new StoreUnavailableError('down')) : Promise.resolve(n));
    expect(
      await retryStore(
        'outbox ack',
        flaky,
        ctx(() => true),
      ),
    ).toBe(3);
    await expect(
      retryStore(
        'outbox ack',
        () => Promise.reject(new Error('bug')),
        ctx(() => true),
      ),
    ).rejects.toThrow('bug');
  });
});
