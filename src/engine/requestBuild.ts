import type { EffectOf } from './effects';
import { interpolate, type Scalar } from './interpolate';
import { MAX_BODY_CHARS, type RequestBody, type RequestSpec, type WebhookSpec } from './requestSchema';
import { fillRequestUrl } from './requestUrl';
import type { RequestOutcome } from './engineEvent';

/**
 * Turns a flow's `request` or `webhook` into the effect the requester executes. Pure: the values
 * come from the user's fields; `{{secret.NAME}}` is never resolved here (interpolate does not even
 * match it), so states and the outbox only ever hold the placeholder.
 */
export interface FillContext {
  readonly fields: Readonly<Record<string, Scalar>>;
  readonly defaults: Readonly<Record<string, Scalar>>;
}

/** The time past a request's own timeout after which the engine stops waiting for its result (a lost requester). */
export const REQUEST_MARGIN_MS = 30_000;

/**
 * In a header a customer's value loses line breaks (no header injection) and braces (so an answer
 * such as "{{secret.SHOP_TOKEN}}" cannot become a placeholder the requester would resolve).
 */
const headerSafe = (values: Readonly<Record<string, Scalar>>) =>
  Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k,
      [...String(v)].filter((c) => c >= ' ' && c !== '\u007f' && c !== '{' && c !== '}').join(''),
    ]),
  );

function fillHeaders(headers: Readonly<Record<string, string>>, ctx: FillContext): Record<string, string> {
  const fields = headerSafe(ctx.fields);
  const defaults = headerSafe(ctx.defaults);
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, interpolate(value, fields, defaults)]));
}

const ONE_PLACEHOLDER = /^\{\{\s*([a-z_][a-z0-9_]*)\s*(?:\|([^}]*))?\}\}$/i;

/** A JSON body with every string filled; a string that is exactly `{{field}}` keeps the field's own type. */
export function fillBody(body: RequestBody, ctx: FillContext): RequestBody {
  if (typeof body === 'string') {
    const m = ONE_PLACEHOLDER.exec(body);
    if (m) {
      const value = ctx.fields[m[1] as string] ?? m[2]?.trim() ?? ctx.defaults[m[1] as string];
      return value === undefined ? null : value;
    }
    return interpolate(body, ctx.fields, ctx.defaults);
  }
  if (Array.isArray(body)) return body.map((b) => fillBody(b, ctx));
  if (body !== null && typeof body === 'object')
    return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, fillBody(v, ctx)]));
  return body;
}

/** A filled URL longer than this is not sent (servers refuse long ones anyway): the request counts as failed. */
export const MAX_URL_CHARS = 8192;

function filledUrl(template: string, ctx: FillContext): Built<string> {
  const url = fillRequestUrl(template, ctx.fields, ctx.defaults);
  if (url === undefined) return { ok: false, reason: 'the URL is not valid once filled' };
  return url.length > MAX_URL_CHARS
    ? { ok: false, reason: `the URL is longer than ${MAX_URL_CHARS} characters` }
    : { ok: true, effect: url };
}

export type Built<T> = { readonly ok: true; readonly effect: T } | { readonly ok: false; readonly reason: string };

function bodyText(body: RequestBody | undefined, ctx: FillContext): Built<string | undefined> {
  if (body === undefined) return { ok: true, effect: undefined };
  const text = JSON.stringify(fillBody(body, ctx));
  return text.length > MAX_BODY_CHARS
    ? { ok: false, reason: `the body is longer than ${MAX_BODY_CHARS} characters` }
    : { ok: true, effect: text };
}

export function buildRequest(
  spec: RequestSpec,
  id: string,
  name: string,
  defaultTimeoutMs: number,
  ctx: FillContext,
): Built<EffectOf<'request'>> {
  const url = filledUrl(spec.url, ctx);
  if (!url.ok) return url;
  const body = bodyText(spec.body, ctx);
  if (!body.ok) return body;
  return {
    ok: true,
    effect: {
      type: 'request',
      id,
      name,
      method: spec.method,
      url: url.effect,
      headers: fillHeaders(spec.headers ?? {}, ctx),
      ...(body.effect === undefined ? {} : { body: body.effect }),
      timeoutMs: spec.timeout_ms ?? defaultTimeoutMs,
    },
  };
}

export function buildWebhook(spec: WebhookSpec, id: string, name: string, ctx: FillContext): Built<EffectOf<'webhook'>> {
  const url = filledUrl(spec.url, ctx);
  if (!url.ok) return url;
  const body = bodyText(spec.body, ctx);
  if (!body.ok) return body;
  return { ok: true, effect: { type: 'webhook', id, name, url: url.effect, body: body.effect ?? '{}' } };
}

/** Where an outcome leads: not_found and timeout fall back to failed; undefined: say messages.request_failed and stay. */
export function branchFor(spec: RequestSpec, outcome: RequestOutcome): string | undefined {
  switch (outcome) {
    case 'ok':
      return spec.ok;
    case 'not_found':
      return spec.not_found ?? spec.failed;
    case 'timeout':
      return spec.timeout ?? spec.failed;
    case 'failed':
      return spec.failed;
  }
}
