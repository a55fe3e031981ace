import { startFakeGraphApi, type FakeGraphApi, type FakeGraphApiOptions } from '../../src/emulator/fakeGraphApi';
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
