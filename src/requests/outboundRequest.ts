/** What a flow request or an outgoing webhook asks the requester for, and what comes back. */

export type RequestMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface OutboundRequest {
  readonly method: RequestMethod;
  readonly url: string;
  /** Values may hold `{{secret.NAME}}` placeholders, resolved only at the moment of the call. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Covers waiting for a slot on the host, connecting, the headers and the whole body. */
  readonly timeoutMs: number;
  /** For logs and metrics (a node's or a webhook's name): never the URL. */
  readonly name: string;
  /** The answer's body is not wanted (outgoing webhooks): it is not read, and `json` is null. */
  readonly ignoreBody?: boolean;
}

export type RefusedReason =
  | 'host_not_allowed'
  | 'scheme'
  | 'private_address'
  | 'redirect'
  | 'secret_missing'
  /** A header name or value HTTP cannot carry (or one the requester sets itself, such as host). */
  | 'bad_header'
  /** Not a URL. */
  | 'bad_url';

export type FailedReason =
  | 'too_large'
  | 'network'
  | 'bad_response'
  /** Too many requests already wait for this host (requestSettings max_concurrent, and a bounded queue). */
  | 'queue_full'
  /** The caller's signal aborted it (shutting down). */
  | 'aborted';

/** Expected outcomes, never thrown: the engine branches on them (classifyOutcome). */
export type RequestOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly json: unknown; readonly ms: number }
  | { readonly kind: 'timeout'; readonly ms: number }
  | { readonly kind: 'refused'; readonly reason: RefusedReason }
  | { readonly kind: 'failed'; readonly reason: FailedReason; readonly ms: number };

export type OutcomeClass = 'ok' | 'not_found' | 'failed' | 'timeout';

/** The flow's branches: 2xx ok, 4xx not found, a timeout, and everything else failed. */
export function classifyOutcome(outcome: RequestOutcome): OutcomeClass {
  switch (outcome.kind) {
    case 'response':
      if (outcome.status >= 200 && outcome.status < 300) return 'ok';
      if (outcome.status >= 400 && outcome.status < 500) return 'not_found';
      return 'failed';
    case 'timeout':
      return 'timeout';
    case 'refused':
    case 'failed':
      return 'failed';
  }
}

/** The metrics' and logs' word for an outcome: 2xx…5xx, timeout, refused_<reason>, failed_<reason>. */
export function outcomeLabel(outcome: RequestOutcome): string {
  switch (outcome.kind) {
    case 'response':
      return `${Math.floor(outcome.status / 100)}xx`;
    case 'timeout':
      return 'timeout';
    case 'refused':
      return `refused_${outcome.reason}`;
    case 'failed':
      return `failed_${outcome.reason}`;
  }
}
