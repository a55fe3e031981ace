import { loadConfig } from '../../src/config/config';
import { configProblems as problems } from '../support/configProblems';
import { REQUIRED_ENV as required } from '../support/requiredEnv';

describe('loadConfig', () => {
  it('applies documented defaults; no REDIS_URL means the memory store', () => {
    const c = loadConfig(required);
    expect(c).toMatchObject({
      PORT: 3000,
      ROLE: 'all',
      INBOX_PARTITIONS: 64,
      GRAPH_API_URL: 'https://graph.facebook.com',
      GRAPH_API_VERSION: 'v26.0',
      FLOWS_DIR: './flows',
      DEDUPE_TTL_SECONDS: 172800,
    });
    expect(c.REDIS_URL).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every bad variable at once, naming what is expected', () => {
    const p = problems({ PORT: 'eighty', ROLE: 'both', INBOX_PARTITIONS: '0', GRAPH_API_VERSION: '26' });
    const names = p.map((line) => line.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'PORT',
        'ROLE',
        'INBOX_PARTITIONS',
        'GRAPH_API_VERSION',
        'MESSENGER_PAGE_ID',
        'MESSENGER_ACCESS_TOKEN',
        'MESSENGER_APP_ID',
        'MESSENGER_APP_SECRET',
        'MESSENGER_VERIFY_TOKEN',
      ]),
    );
    expect(p.find((l) => l.startsWith('ROLE'))).toMatch(/all, web, worker.*got "both"/);
  });

  it('never silently falls back to memory on a REDIS_URL typo', () => {
    expect(problems({ ...required, REDIS_URL: 'localhost:6379' })[0]).toMatch(/^REDIS_URL: expected redis:\/\//);
  });

  it('never echoes secrets in its messages', () => {
    const p = problems({ ...required, MESSENGER_APP_SECRET: ' ', ADMIN_TOKEN: 'short-secret' });
    expect(p.join('\n')).not.toContain('short-secret');
    expect(p.find((l) => l.startsWith('ADMIN_TOKEN'))).toMatch(/got hidden/);
  });

  it('never echoes a URL setting beyond its scheme and host: it may hold a password or a webhook secret', () => {
    const p = problems({
      ...required,
      REDIS_URL: 'redis://:s3cret@cache.internal:6379 /0', // a stray space: not a URL
      NOTIFY_WEBHOOK_URL: 'hooks.slack.com/services/T000/B000/XXXXSECRET', // the scheme forgotten
      GRAPH_API_URL: 'graph.example/?access_token=EAAtoken',
    });
    const text = p.join('\n');
    for (const secret of ['s3cret', 'XXXXSECRET', 'EAAtoken', 'T000']) expect(text).not.toContain(secret);
    expect(p.find((l) => l.startsWith('REDIS_URL'))).toMatch(/got hidden\)$/);
    expect(p.find((l) => l.startsWith('NOTIFY_WEBHOOK_URL'))).toMatch(/got hidden\)$/);
    expect(p.find((l) => l.startsWith('GRAPH_API_URL'))).toMatch(/got hidden\)$/);
    // A URL that parses but is refused still shows where it points, to help fix it, and no more.
    const wrongScheme = problems({ ...required, REDIS_URL: 'http://:s3cret@cache.internal:6379/0?password=s3cret' });
    expect(wrongScheme).toEqual([
      'REDIS_URL: expected redis://host:port[/db] or rediss://…; unset it to use the in-memory store (got "http://cache.internal:6379", the rest hidden)',
    ]);
  });

  it('treats empty strings as unset (FOO= in a .env file)', () => {
    const c = loadConfig({ ...required, PORT: '', REDIS_URL: '' });
    expect(c.PORT).toBe(3000);
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('HTTP limits: defaults, and headers may not outlast the whole request', () => {
    expect(loadConfig(required)).toMatchObject({
      HTTP_REQUEST_TIMEOUT_MS: 20_000,
      HTTP_HEADERS_TIMEOUT_MS: 10_000,
      HTTP_MAX_CONNECTIONS: 4096,
      WEBHOOK_MAX_EVENTS: 2000,
    });
    expect(problems({ ...required, HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toEqual([
      'HTTP_HEADERS_TIMEOUT_MS: expected at most HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request) (got "6000")',
    ]);
    expect(problems({ ...required, WEBHOOK_MAX_EVENTS: '0' })[0]).toMatch(/^WEBHOOK_MAX_EVENTS: /);
  });

  it('reads staff PSIDs as a comma list and names the variable when one is malformed', () => {
    expect(loadConfig(required).NOTIFY_ADMIN_PSIDS).toEqual([]);
    expect(loadConfig({ ...required, NOTIFY_ADMIN_PSIDS: '123,456_a' }).NOTIFY_ADMIN_PSIDS).toEqual(['123', '456_a']);
    expect(problems({ ...required, NOTIFY_ADMIN_PSIDS: '123, 456' })).toEqual([
      'NOTIFY_ADMIN_PSIDS: expected PSIDs separated by commas, no spaces (got "123, 456")',
    ]);
  });
});
