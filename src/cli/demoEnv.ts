/**
 * The demo's explicit, visibly fake identity. Used only by `talkshop demo` and
 * `talkshop send-event --demo`; the service itself never falls back to these.
 */
export const DEMO_ENV: Readonly<Record<string, string>> = {
  MESSENGER_PAGE_ID: 'demo-page',
  MESSENGER_ACCESS_TOKEN: 'demo-page-access-token',
  MESSENGER_APP_ID: 'demo-app',
  MESSENGER_APP_SECRET: 'demo-app-secret',
  MESSENGER_VERIFY_TOKEN: 'demo-verify-token',
};

/** Demo values under whatever the environment sets (so PORT or REDIS_URL still apply). */
export const withDemoEnv = (env: NodeJS.ProcessEnv): Record<string, string | undefined> => ({ ...DEMO_ENV, ...env });
