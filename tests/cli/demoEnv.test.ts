import { adminTokensOf, loadConfig } from '../../src/config/config';
import { DEMO_ADMIN_TOKEN, DEMO_IDENTITY, DEMO_KEY_PREFIX, demoAdminPort, demoEnv, describeIgnored } from '../../src/cli/demoEnv';

/** What a production host's environment holds: the demo must use none of it but where it listens. */
const PRODUCTION = {
  REDIS_URL: 'redis://prod-redis:6379',
  REDIS_KEY_PREFIX: 'prod',
  MESSENGER_PAGE_ID: 'real-page',
  MESSENGER_ACCESS_TOKEN: 'real-access-token-EAAB',
  MESSENGER_APP_ID: 'real-app',
  MESSENGER_APP_SECRET: 'real-app-secret',
  MESSENGER_VERIFY_TOKEN: 'real-verify-token',
  GRAPH_API_URL: 'https://graph.facebook.com',
  NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/real',
  ADMIN_TOKEN: 'real-admin-token-0123456789',
  ADMIN_TOKENS: 'ops:operator:real-ops-token-0123456789',
  ADMIN_HOST: '0.0.0.0',
  ADMIN_PORT: '9001',
  ROLE: 'worker',
  INBOX_PARTITIONS: '128',
  PORT: '4000',
  LOG_LEVEL: 'warn',
  PATH: '/usr/bin',
};
const FAKE = 'http://127.0.0.1:45678';

describe('the demo configuration', () => {
  it('on a production environment: the memory store, the demo Page and credentials, the local fake Graph API', () => {
    const demo = demoEnv(PRODUCTION, { graphApiUrl: FAKE });
    const config = loadConfig(demo.env);
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.MESSENGER_PAGE_ID).toBe('demo-page');
    expect(config.MESSENGER_ACCESS_TOKEN).toBe(DEMO_IDENTITY.MESSENGER_ACCESS_TOKEN);
    expect(config.MESSENGER_APP_ID).toBe(DEMO_IDENTITY.MESSENGER_APP_ID);
    expect(config.MESSENGER_APP_SECRET).toBe(DEMO_IDENTITY.MESSENGER_APP_SECRET);
    expect(config.MESSENGER_VERIFY_TOKEN).toBe(DEMO_IDENTITY.MESSENGER_VERIFY_TOKEN);
    expect(config.GRAPH_API_URL).toBe(FAKE);
    expect(config.NOTIFY_WEBHOOK_URL).toBeUndefined();
    expect(config.ROLE).toBe('all');
    expect(config.INBOX_PARTITIONS).toBe(64);
    // Where it listens and how much it logs do come from the environment.
    expect(config.PORT).toBe(4000);
    expect(config.LOG_LEVEL).toBe('warn');
    // Its own admin API: the demo's one token, on loopback, on the port after its own; production's tokens never open it.
    expect(adminTokensOf(config)).toEqual([{ name: 'demo', role: 'operator', token: DEMO_ADMIN_TOKEN }]);
    expect(config.ADMIN_HOST).toBe('127.0.0.1');
    expect(config.ADMIN_PORT).toBe(4001);
  });

  it("puts its admin API on the port after the webhook's: 3001 by default, any free port with PORT=0", () => {
    expect(loadConfig(demoEnv({}, { graphApiUrl: FAKE }).env).ADMIN_PORT).toBe(3001);
    expect(loadConfig(demoEnv({ PORT: '' }, { graphApiUrl: FAKE }).env).ADMIN_PORT).toBe(3001);
    expect(loadConfig(demoEnv({ PORT: '0' }, { graphApiUrl: FAKE }).env).ADMIN_PORT).toBe(0);
    expect(demoAdminPort('65535')).toBe(0);
    expect(demoAdminPort('8080')).toBe(8081);
  });

  it('names every setting it ignored, in one line that shows no value', () => {
    const demo = demoEnv(PRODUCTION, { graphApiUrl: FAKE });
    expect([...demo.ignored].sort()).toEqual(
      [
        'REDIS_URL',
        'REDIS_KEY_PREFIX',
        'MESSENGER_PAGE_ID',
        'MESSENGER_ACCESS_TOKEN',
        'MESSENGER_APP_ID',
        'MESSENGER_APP_SECRET',
        'MESSENGER_VERIFY_TOKEN',
        'GRAPH_API_URL',
        'NOTIFY_WEBHOOK_URL',
        'ADMIN_TOKEN',
        'ADMIN_TOKENS',
        'ADMIN_HOST',
        'ADMIN_PORT',
        'ROLE',
        'INBOX_PARTITIONS',
      ].sort(),
    );
    const line = describeIgnored(demo.ignored, false) ?? '';
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain('MESSENGER_APP_SECRET');
    expect(line).toContain('--redis');
    for (const [name, value] of Object.entries(PRODUCTION))
      if (name !== 'PORT' && name !== 'LOG_LEVEL') expect(line).not.toContain(value);
  });

  it('with --redis: that Redis, under the demo key prefix, whatever REDIS_URL and REDIS_KEY_PREFIX say', () => {
    const demo = demoEnv(PRODUCTION, { graphApiUrl: FAKE, redisUrl: 'redis://127.0.0.1:6390/3' });
    const config = loadConfig(demo.env);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6390/3');
    expect(config.REDIS_KEY_PREFIX).toBe(DEMO_KEY_PREFIX);
    expect(config.MESSENGER_PAGE_ID).toBe('demo-page');
    expect(demo.ignored).toEqual(expect.arrayContaining(['REDIS_URL', 'REDIS_KEY_PREFIX']));
    expect(describeIgnored(demo.ignored, true)).not.toContain('in-memory');
  });

  it('says nothing when the environment only repeats the demo identity or sets what the demo takes', () => {
    const demo = demoEnv(
      { ...DEMO_IDENTITY, GRAPH_API_URL: FAKE, PORT: '0', HOST: '127.0.0.1', FLOWS_DIR: './flows' },
      { graphApiUrl: FAKE },
    );
    expect(demo.ignored).toEqual([]);
    expect(describeIgnored(demo.ignored, false)).toBeUndefined();
    expect(loadConfig(demo.env).HOST).toBe('127.0.0.1');
  });

  it("takes QUESTIONS_LLM_* when set (the questions' language model), and is without one otherwise", () => {
    const model = {
      QUESTIONS_LLM_URL: 'https://llm.example.com/v1/chat/completions',
      QUESTIONS_LLM_MODEL: 'gpt-test',
      QUESTIONS_LLM_KEY: 'sk-demo-key',
      QUESTIONS_LLM_TIMEOUT_MS: '4000',
      QUESTIONS_LLM_TOKEN_FIELD: 'max_completion_tokens',
    };
    const demo = demoEnv({ ...PRODUCTION, ...model }, { graphApiUrl: FAKE });
    expect(loadConfig(demo.env)).toMatchObject({ ...model, QUESTIONS_LLM_TIMEOUT_MS: 4000 });
    expect(demo.ignored.filter((name) => name.startsWith('QUESTIONS_LLM_'))).toEqual([]);
    expect(describeIgnored(demo.ignored, false)).toContain('QUESTIONS_LLM_*');
    const off = loadConfig(demoEnv(PRODUCTION, { graphApiUrl: FAKE }).env);
    expect(off.QUESTIONS_LLM_URL).toBeUndefined();
    expect(off.QUESTIONS_LLM_MODEL).toBeUndefined();
  });

  it('listens on loopback unless HOST says otherwise (the page signs actions for whoever reaches it)', () => {
    expect(loadConfig(demoEnv({}, { graphApiUrl: FAKE }).env).HOST).toBe('127.0.0.1');
    expect(loadConfig(demoEnv({ HOST: '0.0.0.0' }, { graphApiUrl: FAKE }).env).HOST).toBe('0.0.0.0');
  });
});
