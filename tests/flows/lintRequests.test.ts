import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFlows } from '../../src/flows/loadFlows';
import type { Problem } from '../../src/flows/problem';

const FIXTURES = join(__dirname, '..', 'fixtures', 'flows');

function problemsOf(dir: string): { ok: boolean; problems: readonly Problem[] } {
  const outcome = loadFlows(join(FIXTURES, dir));
  return outcome.ok ? { ok: true, problems: outcome.warnings } : { ok: false, problems: outcome.problems };
}

/** The 1-based line of the first line of a fixture file containing `marker`. */
function lineOf(file: string, marker: string): number {
  const index = readFileSync(join(FIXTURES, 'request-errors', file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`no line with ${marker} in ${file}`);
  return index + 1;
}

describe('the linter on requests and webhooks', () => {
  const { ok, problems } = problemsOf('request-errors');
  const errorAt = (file: string, marker: string, node: string, message: string) =>
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        file: expect.stringMatching(new RegExp(`request-errors/${file.replace('.', '\\.')}$`)),
        line: lineOf(file, marker),
        node,
        message: expect.stringContaining(message),
        fix: expect.any(String),
      }),
    );

  test('the example flow that calls APIs loads with no error and no warning', () => {
    expect(problemsOf('requests')).toEqual({ ok: true, problems: [] });
  });

  test('refuses the folder', () => expect(ok).toBe(false));

  test('a host not in requests.hosts, for a request and for a webhook', () => {
    errorAt('flow.yaml', 'evil.example.net', 'a', 'request to "evil.example.net", which is not an allowed host');
    errorAt('flow.yaml', 'crm.example.org', 'f', 'webhook to "crm.example.org", which is not an allowed host');
  });

  test('http:// to a host without http: true', () => {
    errorAt('flow.yaml', 'http://dev.example.com', 'b', 'uses http://, which "dev.example.com" does not allow');
  });

  test('a placeholder in the host part', () => {
    errorAt('flow.yaml', '{{tenant}}', 'c', 'the host part may not use {{placeholders}}');
  });

  test('secrets: only in headers, and only names listed in requests.secrets', () => {
    errorAt(
      'flow.yaml',
      'token={{secret.SHOP_API_TOKEN}}',
      'd',
      '{{secret.SHOP_API_TOKEN}} in the URL: secrets may only be used in headers',
    );
    errorAt('flow.yaml', 'body: { token:', 'e', '{{secret.SHOP_API_TOKEN}} in the body');
    errorAt('flow.yaml', 'UNLISTED_TOKEN', 'd', '{{secret.UNLISTED_TOKEN}} is not listed in settings.yaml requests.secrets');
  });

  test('header names, reserved headers, a body on GET', () => {
    errorAt('flow.yaml', '"Bad Header"', 'd', 'header name "Bad Header" is not a valid HTTP header name');
    errorAt('flow.yaml', 'Host: other', 'd', 'header "Host" is set by the HTTP client itself');
    errorAt('flow.yaml', 'body: { token:', 'e', 'a GET request has no body');
  });

  test('an unknown branch target, with the usual suggestion', () => {
    errorAt('flow.yaml', 'failed: nowhere', 'e', 'request failed goes to "nowhere", which is not a node of flow "calls"');
  });

  test('a mapping path that does not parse', () => {
    errorAt('paths.yaml', 'order..status', 'a', 'nodes.a.request.save.status: a path such as order.status');
  });

  test('a request whose result leads back to it without the user is a loop (it would call the API forever)', () => {
    errorAt('loop.yaml', 'ok: still_processing', 'poll', 'loop without user input: poll → still_processing → poll');
  });

  test('products: an unknown catalog, a filter on something no product has, an unknown card button target', () => {
    errorAt('products.yaml', 'catalog: shose', 'a', 'catalog "shose" does not exist');
    errorAt('products.yaml', 'sise:', 'b', 'no product of catalog "shoes" has "sise"');
    errorAt('products.yaml', 'goto: pickd', 'b', 'goes to "pickd", which is not a node of flow "products"');
  });

  test('a {{field}} in a request URL that may be unset is a warning, as in a message', () => {
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        line: lineOf('loop.yaml', '{{job_id}}'),
        node: 'poll',
        message: expect.stringContaining('{{job_id}} has no default'),
      }),
    );
  });

  test('what a request makes the engine ignore is warned about (a next beside it)', () => {
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        line: lineOf('flow.yaml', 'next: b'),
        node: 'a',
        message: expect.stringContaining('next of node "a" is never used: the node\'s request decides'),
      }),
    );
  });

  test('a valid request is not flagged', () => {
    expect(problems.filter((p) => p.severity === 'error' && p.file.endsWith('flow.yaml') && p.node === 'f')).toHaveLength(1);
  });
});
