/** The settings Talkshop refuses to start without, with recognisable fake values (config tests). */
export const REQUIRED_ENV: Readonly<Record<string, string>> = {
  MESSENGER_PAGE_ID: '1',
  MESSENGER_ACCESS_TOKEN: 'token-value',
  MESSENGER_APP_ID: '2',
  MESSENGER_APP_SECRET: 'secret-value',
  MESSENGER_VERIFY_TOKEN: 'verify-value',
};
