/**
 * A stock Bottender 1.5 Messenger app for the webhook bench (bench/webhook.ts starts it through
 * ./server.js). Sessions live in Redis, as a production Bottender app keeps them; the bench gives
 * each run its own key prefix and deletes those keys afterwards. `skipLegacyProfile` keeps it
 * from ever calling the Graph API. Everything comes from the environment the bench sets.
 */
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`bench bottender app: ${name} is not set`);
  return value;
};
const redisUrl = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');

module.exports = {
  session: {
    driver: 'redis',
    stores: {
      // Passed as-is to ioredis by Bottender's RedisCacheStore.
      redis: {
        host: redisUrl.hostname,
        port: Number(redisUrl.port || 6379),
        db: Number(redisUrl.pathname.slice(1) || 0),
        keyPrefix: `${env('BENCH_BOTTENDER_PREFIX')}:`,
      },
    },
  },
  initialState: { count: 0 },
  channels: {
    messenger: {
      enabled: true,
      path: '/webhooks/messenger',
      pageId: env('MESSENGER_PAGE_ID'),
      accessToken: env('MESSENGER_ACCESS_TOKEN'),
      appId: env('MESSENGER_APP_ID'),
      appSecret: env('MESSENGER_APP_SECRET'),
      verifyToken: env('MESSENGER_VERIFY_TOKEN'),
      skipLegacyProfile: true,
    },
  },
};
