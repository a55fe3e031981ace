import { join } from 'node:path';
import { loadConfig } from '../src/config/config';
import { testEnv } from './support/testEnv';

describe('bottender.config.js', () => {
  it('takes the Messenger channel settings from the parsed config, not a second reading', () => {
    const env = testEnv({ MESSENGER_PAGE_ID: 'page-from-env', GRAPH_API_URL: 'http://127.0.0.1:9999' });
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const file = join(__dirname, '..', 'bottender.config.js');
      jest.isolateModules(() => {
        // require, not import: bottender.config.js is CommonJS and must be read afresh inside isolateModules.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const bottender = require(file) as { channels: { messenger: Record<string, unknown> } };
        const config = loadConfig(env);
        expect(bottender.channels.messenger).toMatchObject({
          enabled: true,
          path: '/webhooks/messenger',
          pageId: config.MESSENGER_PAGE_ID,
          accessToken: config.MESSENGER_ACCESS_TOKEN,
          appId: config.MESSENGER_APP_ID,
          appSecret: config.MESSENGER_APP_SECRET,
          verifyToken: config.MESSENGER_VERIFY_TOKEN,
          origin: 'http://127.0.0.1:9999',
        });
      });
    } finally {
      process.env = saved;
    }
  });
});
