/**
 * The marketer panel's calls: the demo's admin API through the page's own origin
 * (`api/admin/<path>`, forwarded by src/cli/demoWebAdmin.ts with the demo's token) and the demo's
 * clock (`clock`, src/cli/demoClock.ts). Every answer is JSON; a failure comes back as a sentence
 * to show, never as an exception.
 */

export type Answer<T> =
  { readonly ok: true; readonly body: T } | { readonly ok: false; readonly status: number; readonly error: string };

/** The admin API's error bodies: `message` (admin API), `error` (the demo's own routes), `problems` (a refused definition). */
interface ErrorBody {
  readonly error?: unknown;
  readonly message?: unknown;
  readonly problems?: ReadonlyArray<{ readonly message?: unknown; readonly severity?: unknown }>;
}

function errorOf(status: number, body: ErrorBody | undefined): string {
  const problems = (body?.problems ?? [])
    .filter((p) => p.severity === undefined || p.severity === 'error')
    .map((p) => (typeof p.message === 'string' ? p.message : ''))
    .filter((m) => m !== '')
    .slice(0, 3);
  const head =
    typeof body?.message === 'string'
      ? body.message
      : typeof body?.error === 'string'
        ? body.error
        : `the demo answered ${status}`;
  return [head, ...problems].join(' ');
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  } catch {
    return { ok: false, status: 0, error: 'the demo is not answering (is `npm run demo` still running?)' };
  }
  const parsed = (await res.json().catch(() => undefined)) as unknown;
  return res.ok
    ? { ok: true, body: parsed as T }
    : { ok: false, status: res.status, error: errorOf(res.status, parsed as ErrorBody) };
}

/** A call to the demo's admin API, `path` under /admin (e.g. `/audience/count?where=…`). */
export const admin = <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>> =>
  call<T>(method, `api/admin${path}`, body);
