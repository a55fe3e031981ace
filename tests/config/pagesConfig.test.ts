import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config';
import { loadPagesConfig, type PagesOptions } from '../../src/config/pagesConfig';
import { ConfigError } from '../../src/errors';
import { keysFor, pageRateBucket } from '../../src/store/keys';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { REQUIRED_ENV } from '../support/requiredEnv';

const HOME = '1000000000000001';
const A = '2000000000000002';
const B = '3000000000000003';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'talkshop-pages-'));
  for (const d of ['flows', 'flows-a', 'shared']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'shared', 'settings-b.yaml'), 'default_flow: main\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const baseEnv = { ...REQUIRED_ENV, MESSENGER_PAGE_ID: HOME, REDIS_KEY_PREFIX: 'shop' };

/** Writes the pages file and loads it with the environment given (and the file's name in PAGES_FILE). */
function load(yaml: string, extraEnv: Record<string, string> = {}, options: PagesOptions = {}) {
  const file = join(dir, 'pages.yaml');
  writeFileSync(file, yaml);
  const env = { ...baseEnv, FLOWS_DIR: join(dir, 'flows'), PAGES_FILE: file, ...extraEnv };
  return loadPagesConfig(loadConfig(env), env, options);
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadPagesConfig', () => {
  it('without PAGES_FILE: the environment Page alone, every setting as before', () => {
    const config = loadConfig({ ...baseEnv, SEND_RATE_PER_SEC: '100' });
    const pages = loadPagesConfig(config, baseEnv);
    expect(pages.source).toBe('env');
    expect(pages.pages).toHaveLength(1);
    expect(pages.page(HOME)).toMatchObject({
      id: HOME,
      accessToken: 'token-value',
      tokenFrom: 'MESSENGER_ACCESS_TOKEN',
      appId: '2',
      appSecret: 'secret-value',
      flowsDir: './flows',
      settingsFile: undefined,
      keyPrefix: 'shop',
      rates: { text: 100, media: 10, burst: 10 },
    });
    expect(pages.page(A)).toBeUndefined();
  });

  it("a single-Page deployment's keys are byte-for-byte what they were", () => {
    const config = loadConfig(baseEnv);
    const page = loadPagesConfig(config, baseEnv).pages[0]!;
    const keys = keysFor(page.keyPrefix);
    const p = partitionOf(page.id, '42', config.INBOX_PARTITIONS);
    const user = userKeyOf(page.id, '42');
    // Literal strings: a change to how a Page's keys are named fails here, not in production.
    expect([
      keys.inbox(p),
      keys.state(p, user),
      keys.outbox(p),
      keys.owner(),
      keys.workers(),
      keys.broadcastIndex(),
      keys.rateBucket(pageRateBucket(page.id, 'text')),
    ]).toEqual([
      `shop:{p${p}}:inbox`,
      `shop:{p${p}}:state:${HOME}:42`,
      `shop:{p${p}}:outbox`,
      'shop:owner',
      'shop:workers',
      'shop:{broadcasts}:index',
      `shop:rate:page:${HOME}:text`,
    ]);
    // Adding a pages file that lists other Pages moves nothing of the environment's Page.
    const withFile = load(`pages:\n  - id: "${A}"\n    token_env: SHOP_A_TOKEN\n    flows: flows-a\n`, { SHOP_A_TOKEN: 'a' });
    expect(withFile.page(HOME)).toEqual({ ...page, flowsDir: join(dir, 'flows') });
  });

  it('a file: the environment Page first (implicit), others with their own token, flows, prefix and rates', () => {
    const pages = load(
      [
        'apps:',
        '  agency: { id: "77", secret_env: AGENCY_SECRET }',
        'pages:',
        `  - id: "${A}"`,
        '    token_env: SHOP_A_TOKEN',
        '    flows: flows-a',
        '    send_rate_per_sec: 50',
        `  - id: "${B}"`,
        '    token_env: SHOP_B_TOKEN',
        '    app: agency',
        '    flows: shared',
        '    settings: shared/settings-b.yaml',
        '    key_prefix: agency-b',
      ].join('\n'),
      { SHOP_A_TOKEN: 'token-a', SHOP_B_TOKEN: 'token-b', AGENCY_SECRET: 'agency-secret' },
    );
    expect(pages.source).toBe('file');
    expect(pages.pages.map((p) => p.id)).toEqual([HOME, A, B]);
    expect(pages.page(A)).toMatchObject({
      accessToken: 'token-a',
      tokenFrom: 'SHOP_A_TOKEN',
      app: 'default',
      appSecret: 'secret-value',
      flowsDir: join(dir, 'flows-a'),
      keyPrefix: `shop:${A}`,
      rates: { text: 50, media: 10, burst: 10 },
    });
    expect(pages.page(B)).toMatchObject({
      accessToken: 'token-b',
      app: 'agency',
      appId: '77',
      appSecret: 'agency-secret',
      flowsDir: join(dir, 'shared'),
      settingsFile: join(dir, 'shared', 'settings-b.yaml'),
      keyPrefix: 'agency-b',
    });
    expect(pages.page(HOME)).toMatchObject({ keyPrefix: 'shop', tokenFrom: 'MESSENGER_ACCESS_TOKEN' });
  });

  it('the environment Page may be listed, to give it other flows or a token variable; it keeps REDIS_KEY_PREFIX', () => {
    const pages = load(`pages:\n  - id: "${HOME}"\n    flows: flows-a\n`);
    expect(pages.pages).toHaveLength(1);
    expect(pages.page(HOME)).toMatchObject({ keyPrefix: 'shop', accessToken: 'token-value', flowsDir: join(dir, 'flows-a') });
  });

  it('lists every problem at once, each with its path, never a token', () => {
    const problems = problemsOf(() =>
      load(
        [
          'apps:',
          '  agency: { id: "77", secret_env: AGENCY_SECRET }',
          'pages:',
          `  - id: "${A}"`,
          '    token_env: SHOP_A_TOKEN', // not set
          '    flows: flows-a',
          `  - id: "${A}"`, // twice
          '    token_env: SHOP_B_TOKEN',
          '    flows: flows-a',
          `  - id: "${B}"`,
          '    token_env: SHOP_B_TOKEN',
          '    flows: nowhere', // missing folder
          `    key_prefix: shop`, // the environment Page's prefix
          '    app: agency', // its secret is not set
          `  - id: "4000000000000004"`,
          '    flows: flows-a', // no token_env
          `  - id: "5000000000000005"`,
          '    token_env: SHOP_B_TOKEN',
          '    flows: flows-a',
          '    app: nobody',
        ].join('\n'),
        { SHOP_B_TOKEN: 'the-b-token-value' },
      ),
    );
    const file = join(dir, 'pages.yaml');
    expect(problems).toEqual(
      expect.arrayContaining([
        `${file}: apps.agency.secret_env: AGENCY_SECRET is not set (or empty) in the environment`,
        `${file}: pages[0].token_env: SHOP_A_TOKEN is not set (or empty) in the environment`,
        expect.stringMatching(/^.*: pages\[1\]\.id: Page 2000000000000002 is listed twice \(also at pages\[0\]\)$/),
        expect.stringMatching(/pages\[3\]\.token_env: required/),
        expect.stringMatching(/pages\[4\]\.app: no app "nobody"/),
        // B cannot be served (its app's secret is missing), yet its prefix and folder are checked too.
        expect.stringMatching(/pages\[2\]\.key_prefix: the key prefix "shop" is also MESSENGER_PAGE_ID 1000000000000001's/),
        expect.stringMatching(/pages\[2\]\.flows: .*nowhere is not a folder/),
      ]),
    );
    expect(problems.join('\n')).not.toContain('the-b-token-value');
    expect(problems.join('\n')).not.toContain('secret-value');
    // Alone, in the order of the file.
    const again = problemsOf(() =>
      load(['pages:', `  - id: "${B}"`, '    token_env: SHOP_B_TOKEN', '    flows: nowhere', '    key_prefix: shop'].join('\n'), {
        SHOP_B_TOKEN: 'b',
      }),
    );
    expect(again).toEqual([
      expect.stringMatching(/pages\[0\]\.key_prefix: the key prefix "shop" is also MESSENGER_PAGE_ID 1000000000000001's/),
      expect.stringMatching(/pages\[0\]\.flows: .*nowhere is not a folder/),
    ]);
  });

  it('refuses what the schema does not know: an unquoted or malformed id, a token in place of a name, unknown keys', () => {
    const problems = problemsOf(() =>
      load(
        [
          'pages:',
          '  - id: 2000000000000002', // a YAML number: digits would be lost past 2^53
          '    token_env: EAAB-not-a-name',
          '  - id: "page-b"',
          '    tokn_env: X',
          '    send_rate_per_sec: 0',
        ].join('\n'),
      ),
    );
    expect(problems.map((p) => p.replace(/^[^ ]+: /, '').split(':')[0])).toEqual(
      expect.arrayContaining(['pages[0].id', 'pages[0].token_env', 'pages[1].id', 'pages[1]', 'pages[1].send_rate_per_sec']),
    );
    expect(problems.join('\n')).not.toContain('EAAB-not-a-name');
  });

  it('a file that does not parse or is missing is one clear problem', () => {
    expect(problemsOf(() => load('pages: [\n'))[0]).toMatch(/pages\.yaml:\d+: /);
    const env = { ...baseEnv, PAGES_FILE: join(dir, 'absent.yaml') };
    expect(problemsOf(() => loadPagesConfig(loadConfig(env), env))).toEqual([
      `PAGES_FILE: cannot read ${join(dir, 'absent.yaml')} (ENOENT)`,
    ]);
    expect(problemsOf(() => load('pages: []\n'))[0]).toMatch(/pages: expected at least one Page/);
  });

  it('lints each flows folder once, however many Pages share it, and names the Page', () => {
    const checked: string[] = [];
    const checkFlows = (d: string, s: string | undefined) => {
      checked.push(`${d}|${s ?? ''}`);
      return d.endsWith('flows-a') ? ['error: flows-a/x.yaml:3: bad node\n  fix: fix it', 'error: two', 'error: three'] : [];
    };
    const yaml = [
      'pages:',
      `  - id: "${A}"`,
      '    token_env: T',
      '    flows: flows-a',
      `  - id: "${B}"`,
      '    token_env: T',
      '    flows: flows-a',
    ].join('\n');
    const problems = problemsOf(() => load(yaml, { T: 't' }, { checkFlows }));
    expect(checked).toEqual([`${join(dir, 'flows')}|`, `${join(dir, 'flows-a')}|`]);
    expect(problems).toEqual([
      expect.stringMatching(
        /pages\[0\]\.flows: the flows of Page 2000000000000002 in .*flows-a fail the linter: error: flows-a\/x.yaml:3: bad node {3}fix: fix it; error: two; error: three$/,
      ),
    ]);
  });
});
