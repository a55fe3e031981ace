import { z } from 'zod';
import { ConfigError } from '../errors';

const nonEmpty = (what: string) =>
  z
    .string({ error: `required: ${what}` })
    .trim()
    .min(1, `required: ${what}`);
const positiveInt = (what: string, max: number) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected an integer (${what})`)
    .min(1, `expected ${what} ≥ 1`)
    .max(max, `expected ${what} ≤ ${max}`);

const roles = ['all', 'web', 'worker'] as const;
export type Role = (typeof roles)[number];

/** Who an admin token speaks for: agent = threads and replies; marketer = audience and broadcasts; operator = all. */
export const ADMIN_ROLES = ['agent', 'marketer', 'operator'] as const;
export interface AdminTokenSetting {
  readonly name: string;
  readonly role: (typeof ADMIN_ROLES)[number];
  readonly token: string;
}
const ADMIN_TOKEN_MIN = 16;
const isAdminRole = (r: string): r is AdminTokenSetting['role'] => (ADMIN_ROLES as readonly string[]).includes(r);

/**
 * ADMIN_TOKENS = "name:role:token,name:role:token". Messages name the entry by position and name,
 * never by its text, so a typo cannot print a token into the start-up log.
 */
const adminTokens = z.string().transform((raw, ctx): AdminTokenSetting[] => {
  const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
  const parsed = raw.split(',').map((entry, i): AdminTokenSetting | undefined => {
    const [name = '', role = '', ...rest] = entry.trim().split(':');
    const token = rest.join(':');
    // Without all three parts the first one may be a token, so it is not shown.
    if (rest.length === 0) return void fail(`entry ${i + 1}: expected name:role:token, entries separated by commas`);
    const where = `entry ${i + 1}${/^[A-Za-z0-9_-]{1,32}$/.test(name) ? ` ("${name}")` : ''}`;
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) return void fail(`${where}: the name must be 1–32 of A-Z a-z 0-9 _ -`);
    if (!isAdminRole(role)) return void fail(`${where}: the role must be one of ${ADMIN_ROLES.join(', ')}`);
    if (token.length < ADMIN_TOKEN_MIN || /\s/.test(token))
      return void fail(`${where}: the token must be at least ${ADMIN_TOKEN_MIN} characters, without spaces`);
    return { name, role, token };
  });
  const ok = parsed.filter((t): t is AdminTokenSetting => t !== undefined);
  const dup = duplicateIn(ok);
  if (dup) fail(dup);
  return ok;
});

/** Names a repeated name or token (by the names holding it), or returns undefined. */
function duplicateIn(tokens: readonly AdminTokenSetting[]): string | undefined {
  for (const [i, a] of tokens.entries())
    for (const b of tokens.slice(i + 1)) {
      if (a.name === b.name) return `the name "${a.name}" is used twice; names must be unique (they appear in the audit log)`;
      if (a.token === b.token) return `"${a.name}" and "${b.name}" have the same token; give each its own`;
    }
  return undefined;
}

/**
 * The Marketing Messages API's ad account (Meta Business Settings): act_<digits>, or the digits
 * alone, always read as act_<digits>. Exported for `broadcast check`, which needs no other setting.
 */
export const adAccountIdSchema = z
  .string()
  .regex(/^(act_)?\d{1,20}$/, 'expected act_<digits> or the digits of the ad account id')
  .transform((s) => (s.startsWith('act_') ? s : `act_${s}`));

/**
 * Every setting Talkshop reads, validated once at start-up. Defaults exist only where a wrong guess
 * cannot hurt (ports, timings); secrets and identities never get a silent default.
 */
const envShape = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ROLE: z.enum(roles, { error: `expected one of ${roles.join(', ')}` }).default('all'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'expected redis://host:port[/db] or rediss://…; unset it to use the in-memory store')
    .optional(),
  // Redis Cluster: some nodes' host:port (the rest are discovered). Unneeded when REDIS_URL names a
  // cluster node (detected); REDIS_URL's credentials and TLS, if any, serve every node.
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,253}:\d{1,5}(,[A-Za-z0-9_.-]{1,253}:\d{1,5}){0,63}$/, 'expected host:port[,host:port…], no spaces')
    .transform((s) => s.split(','))
    .optional(),
  // Replicas that must hold a webhook's events before its 200 (Redis WAIT): what a failover keeps.
  // 0 = answer once the master has them (a failover may lose the last few ms of acknowledged events).
  REDIS_WAIT_REPLICAS: z.coerce.number({ error: 'expected a replica count (0 = no wait)' }).int().min(0).max(16).default(0),
  REDIS_WAIT_TIMEOUT_MS: positiveInt('milliseconds', 60_000).default(1_000),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'expected 1–64 characters from A-Z a-z 0-9 _ . : -')
    .default('talkshop'),
  MESSENGER_PAGE_ID: nonEmpty('the Facebook Page id'),
  MESSENGER_ACCESS_TOKEN: nonEmpty('the Page access token'),
  MESSENGER_APP_ID: nonEmpty('the Meta app id'),
  MESSENGER_APP_SECRET: nonEmpty('the Meta app secret (signs webhooks, appsecret_proof)'),
  MESSENGER_VERIFY_TOKEN: nonEmpty('the webhook verify token you typed in the Meta dashboard'),
  GRAPH_API_URL: z.url({ error: 'expected an http(s) URL' }).default('https://graph.facebook.com'),
  GRAPH_API_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'expected a version like v26.0')
    .default('v26.0'),
  FLOWS_DIR: z.string().min(1).default('./flows'),
  // Several Pages in one deployment (src/config/pagesConfig.ts, docs/pages.md); unset = MESSENGER_PAGE_ID alone.
  PAGES_FILE: z.string().trim().min(1).max(4096).optional(),
  ADMIN_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  ADMIN_TOKENS: adminTokens.optional(),
  // The admin API has its own listener, on loopback unless said otherwise: it can reply as the Page.
  ADMIN_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  ADMIN_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PUBLIC: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  // A new customer's first name, locale and time zone cost a Graph call each (once a week per user).
  // A Page whose flows never greet by name nor read locale or time zone can spare the call.
  USER_PROFILE_LOOKUP: z
    .enum(['true', 'false'], { error: 'expected true or false' })
    .default('true')
    .transform((v) => v === 'true'),
  NOTIFY_WEBHOOK_URL: z.url({ error: 'expected an http(s) URL, e.g. a Slack incoming webhook' }).optional(),
  NOTIFY_ADMIN_PSIDS: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64})*$/, 'expected PSIDs separated by commas, no spaces')
    .transform((s) => s.split(','))
    .default([]),
  INBOX_PARTITIONS: positiveInt('a partition count', 16384).default(64),
  LEASE_TTL_MS: positiveInt('milliseconds', 600_000).default(10_000),
  DEDUPE_TTL_SECONDS: positiveInt('seconds', 30 * 24 * 3600).default(48 * 3600),
  STORE_TIMEOUT_MS: positiveInt('milliseconds', 60_000).default(1_500),
  WEBHOOK_BODY_LIMIT_BYTES: positiveInt('bytes', 10 * 1024 * 1024).default(1024 * 1024),
  // Meta batches at most 1,000 updates per POST; twice that leaves room for a change on their side
  // while keeping one body's store call (one Lua call per partition) small.
  WEBHOOK_MAX_EVENTS: positiveInt('events per webhook request', 100_000).default(2_000),
  // Meta stops waiting for an answer after 20 s, so a request still arriving after that is not one
  // of Meta's deliveries; it is someone holding a connection. Headers alone should take far less.
  HTTP_REQUEST_TIMEOUT_MS: positiveInt('milliseconds', 600_000).default(20_000),
  HTTP_HEADERS_TIMEOUT_MS: positiveInt('milliseconds', 600_000).default(10_000),
  HTTP_MAX_CONNECTIONS: positiveInt('connections', 1_000_000).default(4_096),
  // Meta allows a Page 300 Send API calls a second, sender actions included. A token bucket lets
  // rate + burst through in any second, and calls reach Meta with a little jitter after their
  // grant: 280 + 10 keeps the Page under 300 rather than bouncing off Meta's 613s.
  SEND_RATE_PER_SEC: positiveInt('sends per second per Page', 10_000).default(280),
  SEND_MEDIA_RATE_PER_SEC: positiveInt('audio/video sends per second per Page', 10_000).default(10),
  SEND_BURST: positiveInt('tokens', 1000).default(10),
  // A person types a message every few seconds at most; a script sends many a second. The bot
  // answers a user's first USER_REPLY_BURST events in a row in full, then this many a minute
  // (every event is still applied). 0 turns the limit off.
  USER_REPLIES_PER_MINUTE: z.coerce
    .number({ error: 'expected answered events per minute per user (0 = no limit)' })
    .int()
    .min(0)
    .max(100_000)
    .default(30),
  USER_REPLY_BURST: positiveInt('events answered in a row', 10_000).default(10),
  // Attempts at one inbox item (ended by an error, a crash or a freeze past the lease) before it is set aside.
  INBOX_MAX_ATTEMPTS: positiveInt('attempts', 1000).default(5),
  // Personal data: unset = kept for good (as before these settings existed). README "Personal data and retention".
  TRANSCRIPT_RETENTION_DAYS: positiveInt('days', 3650).optional(),
  INACTIVE_USER_RETENTION_DAYS: positiveInt('days', 3650).optional(),
  // Unset = no marketing_message broadcasts (refused when checked). README "Broadcasts (definitions)".
  MARKETING_AD_ACCOUNT_ID: adAccountIdSchema.optional(),
  // Off unless set: a language model that may only choose among the flows' questions for typed text
  // the local search could not place (docs/flows.md "A language model, boxed in"). Its host must be
  // listed under settings.yaml requests.hosts, like any host Talkshop calls.
  QUESTIONS_LLM_URL: z.url({ error: 'expected the http(s) URL of an OpenAI-compatible chat completions endpoint' }).optional(),
  QUESTIONS_LLM_MODEL: z.string().trim().min(1).max(200, 'expected a model name of at most 200 characters').optional(),
  QUESTIONS_LLM_KEY: z
    .string()
    .regex(/^[\x21-\x7e]{1,4096}$/, 'expected the API key: printable characters, no spaces')
    .optional(),
  // The customer waits this long at most (one try, never retried), then gets the fallback.
  QUESTIONS_LLM_TIMEOUT_MS: positiveInt('milliseconds', 10_000).default(2_500),
  // Which field caps the reply: newer OpenAI models refuse max_tokens (400), older servers may not know the other.
  QUESTIONS_LLM_TOKEN_FIELD: z
    .enum(['max_tokens', 'max_completion_tokens'], { error: 'expected max_tokens or max_completion_tokens' })
    .default('max_tokens'),
});

const envSchema = envShape
  .refine((c) => c.HTTP_HEADERS_TIMEOUT_MS <= c.HTTP_REQUEST_TIMEOUT_MS, {
    path: ['HTTP_HEADERS_TIMEOUT_MS'],
    message: 'expected at most HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)',
  })
  .superRefine((c, ctx) => {
    if ((c.QUESTIONS_LLM_URL === undefined) !== (c.QUESTIONS_LLM_MODEL === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [c.QUESTIONS_LLM_URL === undefined ? 'QUESTIONS_LLM_URL' : 'QUESTIONS_LLM_MODEL'],
        message: 'set QUESTIONS_LLM_URL and QUESTIONS_LLM_MODEL together (or neither: no language model)',
      });
    if (c.QUESTIONS_LLM_KEY !== undefined && c.QUESTIONS_LLM_URL === undefined)
      ctx.addIssue({ code: 'custom', path: ['QUESTIONS_LLM_KEY'], message: 'set only with QUESTIONS_LLM_URL' });
    const dup = c.ADMIN_TOKEN && c.ADMIN_TOKENS ? duplicateIn(adminTokensOf(c)) : undefined;
    if (dup) ctx.addIssue({ code: 'custom', path: ['ADMIN_TOKENS'], message: `${dup} (ADMIN_TOKEN counts as "admin")` });
  })
  // A node list alone means Redis: REDIS_URL then names its first node (everything that asks "is
  // there a Redis?" reads REDIS_URL).
  .transform((c) => (c.REDIS_URL || !c.REDIS_CLUSTER_NODES ? c : { ...c, REDIS_URL: `redis://${c.REDIS_CLUSTER_NODES[0]}` }));

export type Config = Readonly<z.infer<typeof envShape>>;

/** Every admin token: ADMIN_TOKENS, plus ADMIN_TOKEN (the short form) as the operator "admin". */
export function adminTokensOf(c: Pick<Config, 'ADMIN_TOKEN' | 'ADMIN_TOKENS'>): AdminTokenSetting[] {
  const single = c.ADMIN_TOKEN ? [{ name: 'admin', role: 'operator' as const, token: c.ADMIN_TOKEN }] : [];
  return [...single, ...(c.ADMIN_TOKENS ?? [])];
}

/**
 * A URL setting may carry a credential anywhere: a Redis password in its userinfo, a Slack webhook's
 * secret in its path, a token in its query. Only the scheme and host are shown; a value that does not
 * parse as a URL could be anything, so it is not shown at all.
 */
function shownUrl(value: string): string {
  try {
    const url = new URL(value);
    return url.host === '' ? 'hidden' : `${JSON.stringify(`${url.protocol}//${url.host}`)}, the rest hidden`;
  } catch {
    return 'hidden';
  }
}

/** Turns a zod issue into "NAME: what is expected (got …)" without ever echoing a secret value. */
function describe(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? '?');
  const value = env[name];
  const shown =
    value === undefined
      ? 'unset'
      : /SECRET|TOKEN|_KEY$/.test(name)
        ? 'hidden'
        : /_URL$/.test(name)
          ? shownUrl(value)
          : JSON.stringify(value);
  return `${name}: ${issue.message} (got ${shown})`;
}

/**
 * Parses the environment. Empty strings count as unset so `FOO=` in a .env file means "default".
 * Throws one ConfigError naming every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describe(i, cleaned)));
  return Object.freeze(result.data);
}

/** Human-readable names of the settings, for `.env.example` and the README table check. */
export const CONFIG_KEYS = Object.keys(envShape.shape) as ReadonlyArray<keyof z.infer<typeof envShape>>;
