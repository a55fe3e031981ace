import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One GRAPH_API_URL for a process serving several Pages, in front of one fake Graph API per Page:
 * each call goes to the fake of the Page whose bearer token it carries, so a call made with the
 * wrong Page's token reaches the other Page's fake (where the bench sees a PSID that is not that
 * Page's). A call with no known token is counted and answered 190 here, reaching neither.
 */
export interface TokenProxy {
  readonly url: string;
  /** Calls whose Authorization header named no Page's token. */
  readonly unknownTokenCalls: () => number;
  stop(): Promise<void>;
}

const UNKNOWN_TOKEN = JSON.stringify({
  error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 },
});

/** `routes`: Page token → that Page's fake's base URL. */
export function startTokenProxy(routes: Readonly<Record<string, string>>): Promise<TokenProxy> {
  // Keep-alive to the fakes: a connection per call would cost the bench process more than the call.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let unknown = 0;
  const server = createServer((req, res) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const base = token === undefined ? undefined : routes[token];
    if (base === undefined) {
      unknown += 1;
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' }).end(UNKNOWN_TOKEN);
      return;
    }
    const out = request(new URL(req.url ?? '/', base), { method: req.method, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        unknownTokenCalls: () => unknown,
        stop: () =>
          new Promise<void>((done) => {
            agent.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    ),
  );
}
