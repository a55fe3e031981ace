/**
 * A stock Bottender 1.5 Messenger app for the webhook bench (bench/webhook.ts starts it through
 * ./server.js). Sessions live in Redis, as a production Bottender app keeps them; the bench gives
 * each run its own key prefix and deletes those keys afterwards. `skipLegacyProfile` keeps it
 * from ever looking up user profiles. Everything comes from the environment the bench sets.
 *
 * BENCH_BOTTENDER_REPLY=1 (bench/reply.ts) makes ./index.js answer every message; the replies go
 * to BENCH_GRAPH_ORIGIN (the bench's fake Graph API), passed as the Messenger client's `origin`
 * (messaging-api-messenger then posts to <origin>/v6.0/me/messages with appsecret_proof). Off,
 * the app never calls the Graph API and `origin` stays Bottender's default.
 */
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`bench bottender app: ${name} is not set`);
  return value;
};
const redisUrl = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const reply = process.env.BENCH_BOTTENDER_REPLY === '1';

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
      ...(reply ? { origin: env('BENCH_GRAPH_ORIGIN') } : {}),
    },
  },
};
