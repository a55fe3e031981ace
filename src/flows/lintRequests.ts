import type { Action } from '../engine/flowSchema';
import { BODY_METHODS, MAX_HEADERS, type RequestBody } from '../engine/requestSchema';
import { allowedHost, secretNames, splitUrl } from '../engine/requestUrl';
import { controlsOf, nodeEntries, quote, type FlowScope, type Path } from './lintScope';

/**
 * Requests and webhooks of one flow: the URL's host is allowed by settings.yaml (`requests.hosts`,
 * http:// only where `http: true`), nothing is interpolated into the host, `{{secret.NAME}}` is
 * used only in headers and only with a NAME listed in `requests.secrets`, and header names are
 * valid and leave the transport's own headers alone. Pure.
 */
export function lintRequests(scope: FlowScope): void {
  for (const [id, node] of nodeEntries(scope.flow)) {
    const r = node.request;
    if (r) {
      const base = ['nodes', id, 'request'];
      callUrl(scope, [...base, 'url'], 'request', r.url);
      headers(scope, [...base, 'headers'], r.headers ?? {});
      if (r.body !== undefined) {
        noSecrets(scope, [...base, 'body'], 'the body', JSON.stringify(r.body));
        if (!BODY_METHODS.has(r.method))
          scope.report.error(
            [...base, 'body'],
            `a ${r.method} request has no body`,
            'use method: POST (or PUT, PATCH), or put the values in the URL',
          );
      }
    }
    webhooks(scope, ['nodes', id], node.actions);
    for (const c of controlsOf(scope.flow, id)) webhooks(scope, c.path, c.control.actions);
  }
}

function webhooks(scope: FlowScope, base: Path, actions: readonly Action[] | undefined): void {
  (actions ?? []).forEach((a, i) => {
    if (!('webhook' in a)) return;
    const path = [...base, 'actions', i, 'webhook'];
    callUrl(scope, [...path, 'url'], 'webhook', a.webhook.url);
    noSecrets(scope, [...path, 'body'], 'the body', JSON.stringify(a.webhook.body satisfies RequestBody));
  });
}

function callUrl(scope: FlowScope, path: Path, what: string, url: string): void {
  const { report, settings } = scope;
  noSecrets(scope, path, 'the URL', url);
  const split = splitUrl(url);
  if (!split.ok) {
    report.error(
      path,
      `${what} url ${quote(url)}: ${split.reason}`,
      'write the full address, e.g. https://shop.example.com/orders/{{order_number}}',
    );
    return;
  }
  const { host, scheme } = split.parts;
  const entry = allowedHost(settings.requests.hosts, host);
  if (!entry) {
    report.error(
      path,
      `${what} to ${quote(host)}, which is not an allowed host (settings.yaml requests.hosts)`,
      `add "- host: ${host}" under requests.hosts in settings.yaml, or call an allowed host`,
    );
  } else if (scheme === 'http' && !entry.http) {
    report.error(
      path,
      `${what} url ${quote(url)} uses http://, which ${quote(entry.host)} does not allow`,
      `use https://, or set http: true on ${quote(entry.host)} in settings.yaml (local development only)`,
    );
  }
}

function noSecrets(scope: FlowScope, path: Path, where: string, text: string): void {
  const names = secretNames(text);
  if (names.length === 0) return;
  scope.report.error(
    path,
    `{{secret.${names[0] ?? ''}}} in ${where}: secrets may only be used in headers (a URL or body is logged, stored and forwarded)`,
    'move it to a header, e.g. headers: { Authorization: "Bearer {{secret.NAME}}" }',
  );
}

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** Headers the HTTP client sets itself: a flow setting them would break or smuggle the request. */
const RESERVED = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'te', 'upgrade', 'trailer', 'keep-alive']);

function headers(scope: FlowScope, path: Path, hs: Readonly<Record<string, string>>): void {
  const { report, settings } = scope;
  const names = Object.keys(hs);
  if (names.length > MAX_HEADERS)
    report.error(path, `${names.length} headers; at most ${MAX_HEADERS} are allowed`, 'keep the headers the API needs');
  for (const [name, value] of Object.entries(hs)) {
    const at = [...path, name];
    if (!TOKEN.test(name))
      report.error(at, `header name ${quote(name)} is not a valid HTTP header name`, 'use letters, digits and -, e.g. X-Api-Key');
    else if (RESERVED.has(name.toLowerCase()))
      report.error(at, `header ${quote(name)} is set by the HTTP client itself`, `remove ${name}`);
    for (const secret of secretNames(value)) {
      if (settings.requests.secrets.includes(secret)) continue;
      report.error(
        at,
        `{{secret.${secret}}} is not listed in settings.yaml requests.secrets`,
        `add ${secret} to requests.secrets in settings.yaml (and set the environment variable ${secret}), or fix the name`,
      );
    }
  }
}
