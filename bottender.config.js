/**
 * Bottender's channel settings. Talkshop validates its configuration once (src/config/config.ts);
 * this file reads that parsed result instead of process.env, so there is one source of truth.
 * Flow state never lives in Bottender's session store (README, "Runtime dependencies": it loses updates),
 * hence the memory session driver: Bottender keeps nothing Talkshop depends on.
 * Requires the build (`npm run build`), like everything else that runs from dist/. Bottender itself
 * is a dev dependency (README, "Runtime dependencies"): only its own tools in a development install
 * read this file; it needs nothing but dotenv and dist/, so it loads in a production install too.
 */
require('dotenv/config');
const { loadConfig } = require('./dist/src/config/config');
const { WEBHOOK_PATH } = require('./dist/src/server');

const config = loadConfig(process.env);

module.exports = {
  session: { driver: 'memory', stores: { memory: { maxSize: 500 } } },
  initialState: {},
  channels: {
    messenger: {
      enabled: true,
      path: WEBHOOK_PATH,
      pageId: config.MESSENGER_PAGE_ID,
      accessToken: config.MESSENGER_ACCESS_TOKEN,
      appId: config.MESSENGER_APP_ID,
      appSecret: config.MESSENGER_APP_SECRET,
      verifyToken: config.MESSENGER_VERIFY_TOKEN,
      origin: config.GRAPH_API_URL,
      skipLegacyProfile: true,
    },
  },
};
