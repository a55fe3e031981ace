import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import type { GraphBreakerOptions } from '../../src/messenger/graphBreaker';
import { createGraphClient, type ClosableGraphClient } from '../../src/messenger/graphClient';

/** The fake Graph API (Page 'p', token 't', secret 's') and the real client talking to it. */
export interface FakeGraph {
  readonly fake: FakeGraphApi;
  readonly graph: ClosableGraphClient;
  /** Closes the client, then stops the fake. */
  close(): Promise<void>;
}

export interface FakeGraphOptions {
  /** The fake's clock, for comments' ages; default the real one. */
  readonly now?: () => number;
  /**
   * The client's breaker. Default none, so a test sees every call it makes reach the fake; a test
   * of the breaker itself gives its settings.
   */
  readonly breaker?: GraphBreakerOptions | false;
}

/** Starts the fake and a client talking to it (see FakeGraphOptions). */
export async function openFakeGraph({ now, breaker = false }: FakeGraphOptions = {}): Promise<FakeGraph> {
  const fake = await startFakeGraphApi({ appSecret: 's', accessToken: 't', pageId: 'p', ...(now ? { now } : {}) });
  const graph = createGraphClient({
    baseUrl: fake.url,
    version: 'v26.0',
    pageId: 'p',
    accessToken: 't',
    appSecret: 's',
    breaker,
  });
  return {
    fake,
    graph,
    close: async () => {
      graph.close();
      await fake.stop();
    },
  };
}

/**
 * A fresh FakeGraph (openFakeGraph on `now`) for every test of the calling file or describe: it
 * registers its own beforeEach, which opens one, and afterEach, which closes it. `fake()` and
 * `graph()` answer the current test's.
 */
export function useFakeGraph(now?: () => number) {
  let open: FakeGraph | undefined;
  beforeEach(async () => {
    open = await openFakeGraph({ now });
  });
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  const current = (): FakeGraph => {
    if (!open) throw new Error('useFakeGraph: the fake runs only inside tests (after beforeEach)');
    return open;
  };
  return { fake: (): FakeGraphApi => current().fake, graph: (): ClosableGraphClient => current().graph };
}
