import { startFakeGraphApi, type FakeGraphApi, type FakeGraphApiOptions } from '../../src/emulator/fakeGraphApi';
import { createGraphClient, type ClosableGraphClient, type GraphClientOptions } from '../../src/messenger/graphClient';
import { TEST_PAGE, TEST_SECRET } from './testEnv';

/** The fake Graph API with the identity testEnv gives a test service (Page, token, secret, app). */
export const startTestGraphApi = (options: Partial<FakeGraphApiOptions> = {}): Promise<FakeGraphApi> =>
  startFakeGraphApi({
    appSecret: TEST_SECRET,
    accessToken: 'test-access-token',
    pageId: TEST_PAGE,
    appId: 'test-app',
    ...options,
  });

/** The real Graph client of that identity, talking to `fake`; `options` as the test needs (another Page…). */
export const testGraphClient = (fake: FakeGraphApi, options: Partial<GraphClientOptions> = {}): ClosableGraphClient =>
  createGraphClient({
    baseUrl: fake.url,
    version: 'v26.0',
    pageId: TEST_PAGE,
    accessToken: 'test-access-token',
    appSecret: TEST_SECRET,
    ...options,
  });
