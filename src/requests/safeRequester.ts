import { performance } from 'node:perf_hooks';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { MAX_REQUEST_TIMEOUT_MS, type RequestSettings } from '../engine/requestSettings';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { normalHost } from './addressPolicy';
import { guardedAgent, isAddressRefused, systemResolve, type Resolve } from './guardedAgent';
import { HostSlots } from './hostSlots';
import { outcomeLabel, type OutboundRequest, type RequestOutcome } from './outboundRequest';
import { discard, readCapped } from './readCapped';
import { resolveSecrets } from './resolveSecrets';
import { checkUrl } from './urlPolicy';

export interface Requester {
  /** Never throws for what an outside API can do: every such case is an outcome. */
  request(req: OutboundRequest, signal?: AbortSignal): Promise<RequestOutcome>;
  close(): Promise<void>;
}

export interface RequesterOptions {
  readonly settings: RequestSettings;
  /** Reads a secret's value (the environment); only names listed under settings `requests.secrets` are asked for. */
  readonly secrets: (name: string) => string | undefined;
  readonly logger: Logger;
  readonly metrics?: Pick<Metrics, 'outboundRequests' | 'outboundRequestSeconds'>;
  /** DNS (tests map names to chosen addresses). */
  readonly lookup?: Resolve;
  /** Requests that may wait for a slot per host beyond max_concurrent; more fail at once (default 64). */
  readonly maxWaitingPerHost?: number;
}

/** Statuses whose answer is "go elsewhere": never followed (docs/flows.md says why). */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The one way Talkshop calls outside HTTP APIs (flow requests, outgoing webhooks), with the
 * settings' policy: allowed hosts only, https unless a host allows http, public addresses only
 * unless a host allows private ones (checked on the address connected to), no redirects, a capped
 * body, one time limit over the wait for a slot, the connection, the headers and the body, and a
 * per-host concurrency limit. No retries: a flow's customer is waiting (webhooks retry in the pump).
 */
export function createRequester(options: RequesterOptions): Requester {
  const { settings, logger, metrics } = options;
  const resolve = options.lookup ?? systemResolve;
  const strict = guardedAgent(resolve, false, MAX_REQUEST_TIMEOUT_MS);
  const lenient = guardedAgent(resolve, true, MAX_REQUEST_TIMEOUT_MS);
  const slots = new HostSlots(options.maxWaitingPerHost ?? 64);

  async function run(req: OutboundRequest, signal: AbortSignal | undefined, started: number): Promise<RequestOutcome> {
    const ms = () => Math.round(performance.now() - started);
    const checked = checkUrl(settings, req.url);
    if (!checked.ok) return { kind: 'refused', reason: checked.reason };
    const { url, host } = checked;
    const headers = resolveSecrets(req.headers, settings, options.secrets);
    if (!headers.ok) return { kind: 'refused', reason: headers.reason };

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        controller.abort();
      },
      Math.min(Math.max(1, req.timeoutMs), MAX_REQUEST_TIMEOUT_MS),
    );
    const onAbort = () => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) controller.abort();
    const interrupted = (): RequestOutcome =>
      timedOut ? { kind: 'timeout', ms: ms() } : { kind: 'failed', reason: 'aborted', ms: ms() };

    const slot = await slots.acquire(normalHost(url.hostname), host.max_concurrent, controller.signal);
    try {
      if (!slot.ok) return slot.why === 'full' ? { kind: 'failed', reason: 'queue_full', ms: ms() } : interrupted();
      const res = await undiciRequest(url, {
        method: req.method,
        headers: {
          accept: 'application/json',
          'user-agent': 'Talkshop',
          ...(req.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers.headers,
        },
        body: req.body,
        dispatcher: (host.private ? lenient : strict) as Dispatcher,
        signal: controller.signal,
      });
      if (REDIRECTS.has(res.statusCode)) {
        discard(res.body);
        return { kind: 'refused', reason: 'redirect' };
      }
      if (req.ignoreBody) {
        await res.body.dump({ limit: settings.max_response_bytes });
        return { kind: 'response', status: res.statusCode, json: null, ms: ms() };
      }
      const body = await readCapped(res, settings.max_response_bytes);
      if (body === 'too_large') return { kind: 'failed', reason: 'too_large', ms: ms() };
      return { kind: 'response', status: res.statusCode, json: parseJson(body), ms: ms() };
    } catch (err) {
      if (controller.signal.aborted) return interrupted();
      if (isAddressRefused(err)) return { kind: 'refused', reason: 'private_address' };
      return { kind: 'failed', reason: isBadResponse(err) ? 'bad_response' : 'network', ms: ms() };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (slot.ok) slot.release();
    }
  }

  return {
    async request(req, signal) {
      const started = performance.now();
      const outcome = await run(req, signal, started);
      const label = outcomeLabel(outcome);
      const ms = 'ms' in outcome ? outcome.ms : Math.round(performance.now() - started);
      metrics?.outboundRequests.inc({ name: req.name, outcome: label });
      metrics?.outboundRequestSeconds.observe({ name: req.name }, ms / 1000);
      // The host only: a URL's path and query may carry what a customer typed; headers may carry secrets.
      logger.info({ request: req.name, host: hostOf(req.url), outcome: label, ms }, 'outbound request');
      return outcome;
    },
    async close() {
      await Promise.all([strict.close(), lenient.close()]);
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** undici's parser and framing errors: the server answered, but not with readable HTTP. */
function isBadResponse(err: unknown): boolean {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('HPE_') || code.startsWith('UND_ERR_RES_'));
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}
