import { Agent, request } from 'undici';
import type { GraphTransportFailure } from './graphErrors';

/** What came back over HTTP: the status and the body (parsed JSON, else the text, '' when empty). */
export interface GraphHttpAnswer {
  readonly status: number;
  readonly data: unknown;
}

export type GraphMethod = 'GET' | 'POST' | 'DELETE';

/** A request that got no HTTP answer: timed out, or the connection failed. Carries no URL or header. */
export class GraphTransportError extends Error {
  constructor(
    readonly transport: GraphTransportFailure,
    readonly code: string | undefined,
  ) {
    super(`graph transport ${transport} (${code ?? 'unknown'})`);
    this.name = 'GraphTransportError';
  }
}

export interface GraphTransportOptions {
  /** e.g. https://graph.facebook.com, or the fake's url. */
  readonly baseUrl: string;
  /** e.g. v26.0 */
  readonly version: string;
  readonly accessToken: string;
  /** The longest a request may take, connecting and reading included. */
  readonly timeoutMs: number;
  /** Keep-alive connections per origin. */
  readonly connections: number;
}

export interface GraphTransport {
  send(method: GraphMethod, path: string, query: Readonly<Record<string, string>>, body: unknown): Promise<GraphHttpAnswer>;
  close(): void;
}

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ABORT_ERR',
]);

const codeOf = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
const nameOf = (e: unknown): string | undefined =>
  typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : undefined;

/**
 * The Graph client's HTTP, on undici's keep-alive pool: at one Send API call per reply the HTTP
 * client is a large share of a reply's CPU, and undici's costs a fraction of what axios over
 * node:http did (see the README's bench:reply). No redirects are followed and no proxy is read
 * from the environment. The token goes in the Authorization header (OAuth bearer, which Graph
 * accepts), never in the URL: URLs end up in proxy and access logs, and in the errors HTTP
 * libraries build; errors thrown from here carry neither.
 */
export function createGraphTransport(o: GraphTransportOptions): GraphTransport {
  const agent = new Agent({
    connections: o.connections,
    connect: { timeout: o.timeoutMs },
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
  });
  const base = `${o.baseUrl.replace(/\/+$/, '')}/${o.version}`;
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${o.accessToken}` };
  return {
    async send(method, path, query, body) {
      const url = `${base}${path}?${new URLSearchParams(query).toString()}`;
      try {
        const res = await request(url, {
          method,
          headers,
          dispatcher: agent,
          signal: AbortSignal.timeout(o.timeoutMs),
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.body.text();
        return { status: res.statusCode, data: parseBody(text) };
      } catch (e) {
        // An abort on our own deadline is a DOMException (not an Error in every realm): known by its name.
        const code = codeOf(e) ?? (nameOf(e) === 'TimeoutError' ? 'ABORT_ERR' : undefined);
        throw new GraphTransportError(code !== undefined && TIMEOUT_CODES.has(code) ? 'timeout' : 'network', code);
      }
    },
    close() {
      void agent.destroy();
    },
  };
}

/** JSON when the body is JSON (Graph's answers and errors), else the text as it came. */
function parseBody(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
