import { CONFIG_KEYS } from '../config/config';

/**
 * The demo's explicit, visibly fake identity. Used only by `talkshop demo` and
 * `talkshop send-event --demo`; the service itself never falls back to these.
 */
export const DEMO_IDENTITY = {
  MESSENGER_PAGE_ID: 'demo-page',
  MESSENGER_ACCESS_TOKEN: 'demo-page-access-token',
  MESSENGER_APP_ID: 'demo-app',
  MESSENGER_APP_SECRET: 'demo-app-secret',
  MESSENGER_VERIFY_TOKEN: 'demo-verify-token',
} as const;

/**
 * The demo's admin API token (operator), printed in the demo's banner and used by
 * `talkshop send-broadcast --demo`. Visibly not a secret: the demo's admin API listens on loopback
 * only and serves a store holding nothing but demo data.
 */
export const DEMO_ADMIN_TOKEN = 'demo-admin-token-not-secret';
const DEMO_ADMIN_HOST = '127.0.0.1';
/** The demo's public listener, unless HOST is set: this machine only. */
const DEMO_HOST = '127.0.0.1';
const PORT_DEFAULT = 3000;

/**
 * The demo's admin port: the one after its webhook port (3001 by default, as ADMIN_PORT's
 * default), so two demos on different PORTs never fight over it; with PORT=0 (tests) any free port.
 */
export function demoAdminPort(port: string | undefined): number {
  const web = port === undefined ? PORT_DEFAULT : Number(port);
  return Number.isInteger(web) && web > 0 && web < 65535 ? web + 1 : 0;
}

/** The demo's own Redis key prefix (with `--redis`): whatever REDIS_KEY_PREFIX says is never used. */
export const DEMO_KEY_PREFIX = 'talkshop-demo';

/**
 * The language model that may choose among the questions (docs/flows.md, "A language model, boxed
 * in"): off unless set, as in production. Taken so the demo can show it; only the texts typed into
 * the demo go there, and its host must be allowed by the demo flows' settings.yaml like any other.
 */
export const DEMO_QUESTION_MODEL_ENV: readonly string[] = [
  'QUESTIONS_LLM_URL',
  'QUESTIONS_LLM_MODEL',
  'QUESTIONS_LLM_KEY',
  'QUESTIONS_LLM_TIMEOUT_MS',
  'QUESTIONS_LLM_TOKEN_FIELD',
];

/**
 * What the demo takes from the environment: where it listens, how much it logs, which flows it
 * runs, and the questions' language model. Nothing that names a store, a Page or its credentials
 * (REDIS_*, MESSENGER_*, GRAPH_API_*, NOTIFY_*, ADMIN_*…): on a production host those are
 * production's, and the demo must never take partition leases there or "deliver" real customers'
 * replies to its fake Graph API. An allow-list, so a setting added later stays out until someone
 * decides otherwise.
 */
export const DEMO_ENV_ALLOWED: readonly string[] = ['PORT', 'HOST', 'LOG_LEVEL', 'FLOWS_DIR', ...DEMO_QUESTION_MODEL_ENV];

export interface DemoEnvOptions {
  /** The local fake Graph API the demo started (GRAPH_API_URL always points there). */
  readonly graphApiUrl: string;
  /** From `talkshop demo --redis <url>`: the only way the demo uses Redis (under DEMO_KEY_PREFIX). */
  readonly redisUrl?: string;
}

export interface DemoEnv {
  /** The environment to hand to loadConfig. */
  readonly env: Readonly<Record<string, string>>;
  /** Settings present in the environment that the demo did not use (names only: values may be secrets). */
  readonly ignored: readonly string[];
}

/**
 * The demo's configuration from the process environment: its identity, admin API and store always win, and
 * of the environment only DEMO_ENV_ALLOWED is used. A demo identity value the environment repeats
 * is not reported as ignored (it changes nothing).
 */
export function demoEnv(env: Readonly<Record<string, string | undefined>>, options: DemoEnvOptions): DemoEnv {
  const fixed: Record<string, string> = {
    ...DEMO_IDENTITY,
    GRAPH_API_URL: options.graphApiUrl,
    // Its own admin API, on loopback, whatever ADMIN_* says: production's tokens never open the demo.
    ADMIN_TOKENS: `demo:operator:${DEMO_ADMIN_TOKEN}`,
    ADMIN_HOST: DEMO_ADMIN_HOST,
    ADMIN_PORT: String(demoAdminPort(env.PORT === '' ? undefined : env.PORT)),
  };
  if (options.redisUrl !== undefined) Object.assign(fixed, { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: DEMO_KEY_PREFIX });
  const taken: Record<string, string> = {};
  const ignored: string[] = [];
  for (const name of CONFIG_KEYS) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (DEMO_ENV_ALLOWED.includes(name)) taken[name] = value;
    else if (fixed[name] !== value) ignored.push(name);
  }
  // Loopback unless HOST says otherwise: the demo's page signs customer actions for whoever reaches it.
  return { env: { HOST: DEMO_HOST, ...taken, ...fixed }, ignored };
}

const TAKEN_NAMES = [...DEMO_ENV_ALLOWED.filter((n) => !DEMO_QUESTION_MODEL_ENV.includes(n)), 'QUESTIONS_LLM_*'].join(', ');

/** The one line that says what the demo left out, naming settings but never their values. */
export function describeIgnored(ignored: readonly string[], onRedis: boolean): string | undefined {
  if (ignored.length === 0) return undefined;
  const redis =
    ignored.includes('REDIS_URL') && !onRedis
      ? '; the demo runs on its in-memory store (`--redis <url>` for a Redis of its own)'
      : '';
  return (
    `demo: ignoring ${ignored.join(', ')} from the environment: the demo uses its own Page, credentials, ` +
    `fake Graph API, admin API and store, and only ${TAKEN_NAMES} from the environment${redis}`
  );
}
