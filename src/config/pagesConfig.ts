import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { Config } from './config';

/**
 * The Pages one deployment serves (issue #18). Without PAGES_FILE it is one Page, the environment's
 * (MESSENGER_PAGE_ID and friends), exactly as before. With it, a YAML file lists Pages, each with
 * its own token (named by the environment variable holding it, never the token itself), flows,
 * settings, key prefix and send rates. Validated once at start-up: one ConfigError lists every
 * problem, each with its path in the file.
 *
 * Key layout: the environment's Page (MESSENGER_PAGE_ID) keeps REDIS_KEY_PREFIX whether or not a
 * file is set, so a one-Page deployment that adds Pages keeps its data where it is; every other Page
 * gets `<REDIS_KEY_PREFIX>:<pageId>` unless it names a prefix. Each prefix has its own owner marker
 * (keys.ts `owner`), so a mistake (two Pages pointed at one prefix) is refused at start-up, never mixed.
 */

export interface PageRates {
  readonly text: number;
  readonly media: number;
  readonly burst: number;
}

export interface PageConfig {
  readonly id: string;
  /** Held in memory only; never logged (see `tokenFrom` for what messages may name). */
  readonly accessToken: string;
  /** The environment variable the token came from, for messages. */
  readonly tokenFrom: string;
  /** The app's name in the file (`default` = MESSENGER_APP_ID / MESSENGER_APP_SECRET). */
  readonly app: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly flowsDir: string;
  /** A settings file that replaces the one in flowsDir (a shared flows folder, per-Page settings); undefined = flowsDir's. */
  readonly settingsFile: string | undefined;
  readonly keyPrefix: string;
  readonly rates: PageRates;
}

export interface PagesConfig {
  /** Where the Pages came from: the environment (one Page) or PAGES_FILE. */
  readonly source: 'env' | 'file';
  /** Listed order; the environment's Page first. */
  readonly pages: readonly PageConfig[];
  page(id: string): PageConfig | undefined;
}

export interface PagesOptions {
  /** Lints a flows folder (with an optional settings file in place of its own): one line per error, none = fine. */
  readonly checkFlows?: (dir: string, settingsFile: string | undefined) => readonly string[];
  /** Tests pass the file's text; default reads PAGES_FILE from disk. */
  readonly readFile?: (path: string) => string;
}

/** Caps for hostile or mistaken input: the file is read before anything else runs. */
export const PAGES_LIMITS = { fileBytes: 1024 * 1024, pages: 1000, apps: 100, flowLinesShown: 5 } as const;

const PAGE_ID = /^\d{1,32}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]{0,127}$/;
const KEY_PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;
const APP_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const DEFAULT_APP = 'default';

const envName = (what: string) =>
  z.string({ error: `expected the NAME of the environment variable holding ${what}` }).regex(ENV_NAME, {
    error: `expected an environment variable NAME (A-Z 0-9 _, not starting with a digit) holding ${what}, never the value itself`,
  });
const rate = (max: number) =>
  z
    .number({ error: `expected a whole number 1–${max}` })
    .int()
    .min(1)
    .max(max);
const path = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, `expected ${what}`)
    .max(4096);

const appSchema = z.strictObject({
  id: z.string({ error: 'expected the Meta app id' }).regex(/^\d{1,32}$/, 'expected the Meta app id (digits)'),
  secret_env: envName('the app secret'),
});

const pageSchema = z.strictObject({
  // A number in YAML loses digits past 2^53, which Page ids exceed: only a quoted string is taken.
  id: z
    .string({ error: 'expected the Page id as a quoted string of digits, e.g. "1234567890"' })
    .regex(PAGE_ID, 'expected the Page id: 1–32 digits'),
  token_env: envName('the Page access token').optional(),
  app: z.string().regex(APP_NAME, 'expected an app name from apps: (1–32 of A-Z a-z 0-9 _ -)').optional(),
  flows: path('a flows folder').optional(),
  settings: path('a settings file')
    .regex(/\.(ya?ml|json)$/, 'expected a .yaml, .yml or .json settings file')
    .optional(),
  key_prefix: z.string().regex(KEY_PREFIX, 'expected 1–64 characters from A-Z a-z 0-9 _ . : -').optional(),
  send_rate_per_sec: rate(10_000).optional(),
  send_media_rate_per_sec: rate(10_000).optional(),
  send_burst: rate(1_000).optional(),
});

const fileSchema = z.strictObject({
  apps: z
    .record(z.string().regex(APP_NAME, 'expected an app name: 1–32 of A-Z a-z 0-9 _ -'), appSchema)
    .refine((a) => Object.keys(a).length <= PAGES_LIMITS.apps, `expected at most ${PAGES_LIMITS.apps} apps`)
    .optional(),
  pages: z
    .array(pageSchema, { error: 'expected a list of Pages' })
    .min(1, 'expected at least one Page')
    .max(PAGES_LIMITS.pages, `expected at most ${PAGES_LIMITS.pages} Pages`),
});
type PageEntry = z.infer<typeof pageSchema>;

const where = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('') || '(file)';

/** The one Page of a deployment without PAGES_FILE, as it has always been served. */
export function pageFromEnv(config: Config): PageConfig {
  return {
    id: config.MESSENGER_PAGE_ID,
    accessToken: config.MESSENGER_ACCESS_TOKEN,
    tokenFrom: 'MESSENGER_ACCESS_TOKEN',
    app: DEFAULT_APP,
    appId: config.MESSENGER_APP_ID,
    appSecret: config.MESSENGER_APP_SECRET,
    flowsDir: config.FLOWS_DIR,
    settingsFile: undefined,
    keyPrefix: config.REDIS_KEY_PREFIX,
    rates: { text: config.SEND_RATE_PER_SEC, media: config.SEND_MEDIA_RATE_PER_SEC, burst: config.SEND_BURST },
  };
}

function pagesOf(source: PagesConfig['source'], pages: readonly PageConfig[]): PagesConfig {
  const byId = new Map(pages.map((p) => [p.id, p]));
  return Object.freeze({ source, pages: Object.freeze([...pages]), page: (id: string) => byId.get(id) });
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** Reads and parses PAGES_FILE: the document, or the problems (syntax, size, unreadable). */
function readPagesFile(file: string, read: (path: string) => string): { doc?: unknown; problems: string[] } {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    return { problems: [`PAGES_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`] };
  }
  if (Buffer.byteLength(text) > PAGES_LIMITS.fileBytes)
    return { problems: [`PAGES_FILE: ${file} is larger than ${PAGES_LIMITS.fileBytes} bytes`] };
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0)
    return { problems: doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n', 1)[0]}`) };
  return { doc: doc.toJS({ maxAliasCount: 100 }) as unknown, problems: [] };
}

/**
 * The Pages to serve: from PAGES_FILE when set, else the environment's one Page. `env` is where
 * token_env and secret_env are looked up. Throws one ConfigError listing every problem.
 */
export function loadPagesConfig(
  config: Config,
  env: Record<string, string | undefined>,
  options: PagesOptions = {},
): PagesConfig {
  const home = pageFromEnv(config);
  const file = config.PAGES_FILE;
  // One Page from the environment: checked where it always was (the flows at the worker's start).
  if (file === undefined) return pagesOf('env', [home]);
  const read = readPagesFile(file, options.readFile ?? ((p) => readFileSync(p, 'utf8')));
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  const parsed = fileSchema.safeParse(read.doc ?? {});
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${where(i.path)}: ${i.message}`));
  const base = dirname(file);
  const problems: string[] = [];
  const fail = (at: string, message: string) => problems.push(`${file}: ${at}: ${message}`);
  const value = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  };

  const apps = new Map<string, { id: string; secret: string }>([[DEFAULT_APP, { id: home.appId, secret: home.appSecret }]]);
  for (const [name, app] of Object.entries(parsed.data.apps ?? {})) {
    if (name === DEFAULT_APP) {
      fail(`apps.${name}`, 'the app "default" is MESSENGER_APP_ID / MESSENGER_APP_SECRET; name yours otherwise');
      continue;
    }
    const secret = value(app.secret_env);
    if (secret === undefined) fail(`apps.${name}.secret_env`, `${app.secret_env} is not set (or empty) in the environment`);
    else apps.set(name, { id: app.id, secret });
  }

  const declaredApps = new Set([DEFAULT_APP, ...Object.keys(parsed.data.apps ?? {})]);
  const entries = parsed.data.pages;
  const listedHome = entries.some((p) => p.id === home.id);
  const pages: PageConfig[] = listedHome ? [] : [home];
  const firstAt = new Map<string, string>(listedHome ? [] : [[home.id, 'MESSENGER_PAGE_ID']]);
  const prefixAt = new Map<string, string>(listedHome ? [] : [[home.keyPrefix, `MESSENGER_PAGE_ID ${home.id}`]]);
  const flowsUse: FlowsUse[] = listedHome ? [] : [{ at: 'FLOWS_DIR', ...home }];
  for (const [i, entry] of entries.entries()) {
    const at = `pages[${i}]`;
    const page = pageOfEntry(entry, at, { home, base, apps, declaredApps, value, fail });
    const dup = firstAt.get(entry.id);
    if (dup !== undefined) fail(`${at}.id`, `Page ${entry.id} is listed twice (also at ${dup})`);
    else firstAt.set(entry.id, at);
    // The prefix and the flows are checked even when the Page has other problems: every problem at once.
    const isHome = entry.id === home.id;
    const keyPrefix = entry.key_prefix ?? (isHome ? home.keyPrefix : `${home.keyPrefix}:${entry.id}`);
    const other = prefixAt.get(keyPrefix);
    if (other !== undefined && dup === undefined)
      fail(`${at}.key_prefix`, `the key prefix "${keyPrefix}" is also ${other}'s; each Page needs its own`);
    else prefixAt.set(keyPrefix, `${at} (Page ${entry.id})`);
    const flowsDir = entry.flows === undefined ? (isHome ? home.flowsDir : undefined) : inFile(base, entry.flows);
    const settingsFile = entry.settings === undefined ? undefined : inFile(base, entry.settings);
    if (flowsDir !== undefined && (settingsFile === undefined || isFile(settingsFile)))
      flowsUse.push({ at: `${at}.flows`, id: entry.id, flowsDir, settingsFile });
    if (page && dup === undefined) pages.push(page);
  }
  const lint = flowProblems(flowsUse, options.checkFlows).map((p) => `${file}: ${p}`);
  problems.push(...lint);
  if (problems.length > 0) throw new ConfigError(problems);
  return pagesOf('file', pages);
}

interface EntryContext {
  readonly home: PageConfig;
  readonly base: string;
  readonly apps: ReadonlyMap<string, { id: string; secret: string }>;
  readonly declaredApps: ReadonlySet<string>;
  readonly value: (name: string) => string | undefined;
  readonly fail: (at: string, message: string) => void;
}

/** One listed Page with its defaults filled in, or undefined (its problems reported) when it cannot be served. */
function pageOfEntry(entry: PageEntry, at: string, ctx: EntryContext): PageConfig | undefined {
  const { home, base, apps, value, fail } = ctx;
  const isHome = entry.id === home.id;
  let ok = true;
  // The environment's Page may leave its token to MESSENGER_ACCESS_TOKEN; every other Page names its own.
  const tokenFrom = entry.token_env ?? (isHome ? 'MESSENGER_ACCESS_TOKEN' : undefined);
  const token = entry.token_env === undefined && isHome ? home.accessToken : tokenFrom && value(tokenFrom);
  if (tokenFrom === undefined) {
    fail(`${at}.token_env`, `required: the environment variable holding Page ${entry.id}'s access token`);
    ok = false;
  } else if (token === undefined) {
    fail(`${at}.token_env`, `${tokenFrom} is not set (or empty) in the environment`);
    ok = false;
  }
  const appName = entry.app ?? DEFAULT_APP;
  const app = apps.get(appName);
  if (!app) {
    // An app whose secret is missing was reported under apps: already.
    if (!ctx.declaredApps.has(appName)) fail(`${at}.app`, `no app "${appName}" under apps:`);
    ok = false;
  }
  const flowsDir = entry.flows === undefined ? (isHome ? home.flowsDir : undefined) : inFile(base, entry.flows);
  if (flowsDir === undefined) {
    fail(`${at}.flows`, `required: Page ${entry.id}'s flows folder (another Page's folder may be shared)`);
    ok = false;
  }
  const settingsFile = entry.settings === undefined ? undefined : inFile(base, entry.settings);
  if (settingsFile !== undefined && !isFile(settingsFile)) {
    fail(`${at}.settings`, `${entry.settings} is not a file`);
    ok = false;
  }
  if (!ok || !app || token === undefined || tokenFrom === undefined || flowsDir === undefined) return undefined;
  return {
    id: entry.id,
    accessToken: token,
    tokenFrom,
    app: appName,
    appId: app.id,
    appSecret: app.secret,
    flowsDir,
    settingsFile,
    keyPrefix: entry.key_prefix ?? (isHome ? home.keyPrefix : `${home.keyPrefix}:${entry.id}`),
    rates: {
      text: entry.send_rate_per_sec ?? home.rates.text,
      media: entry.send_media_rate_per_sec ?? home.rates.media,
      burst: entry.send_burst ?? home.rates.burst,
    },
  };
}

/**
 * Every flows folder exists and (with a linter given) passes it; a folder shared by several Pages
 * with the same settings is linted once and reported under the first Page using it.
 */
/** A flows folder (and settings file) one Page uses, named by where the file sets it. */
interface FlowsUse {
  readonly at: string;
  readonly id: string;
  readonly flowsDir: string;
  readonly settingsFile: string | undefined;
}

/** A path in the pages file, from the file's own folder. */
const inFile = (base: string, p: string) => (isAbsolute(p) ? p : resolve(base, p));

function flowProblems(uses: readonly FlowsUse[], check: PagesOptions['checkFlows']): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const { at, ...page } of uses) {
    const key = `${page.flowsDir}\n${page.settingsFile ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!isDir(page.flowsDir)) {
      problems.push(`${at}: ${page.flowsDir} is not a folder (Page ${page.id}'s flows)`);
      continue;
    }
    const lines = check?.(page.flowsDir, page.settingsFile) ?? [];
    if (lines.length === 0) continue;
    const shown = lines.slice(0, PAGES_LIMITS.flowLinesShown).map((l) => l.replace(/\n/g, ' '));
    const more = lines.length > shown.length ? `; and ${lines.length - shown.length} more (npm run flows:check)` : '';
    problems.push(`${at}: the flows of Page ${page.id} in ${page.flowsDir} fail the linter: ${shown.join('; ')}${more}`);
  }
  return problems;
}
