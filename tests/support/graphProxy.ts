import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback proxy in front of several fake Graph APIs. */
export interface GraphProxy {
  readonly url: string;
  /** Calls whose bearer token `route` knew no fake for (answered 400, code 190, reaching none). */
  readonly unknownTokenCalls: () => number;
  close(): Promise<void>;
}

const UNKNOWN_TOKEN = JSON.stringify({
  error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 },
});

/**
 * Forwards each Graph call to the base URL `route` picks from its bearer token, so several Pages'
 * fakes (each knows one Page and one token) sit behind the one GRAPH_API_URL a deployment has: a
 * call made with the wrong Page's token reaches the wrong fake, which refuses and records it. A
 * token `route` has no fake for is counted and answered as Meta answers a bad token. Keep-alive
 * to the fakes: a connection per call would cost a bench's process more than the call.
 */
export function startGraphProxy(route: (token: string | undefined) => string | undefined): Promise<GraphProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let unknown = 0;
  const server = createServer((req, res) => {
    const base = route(/^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]);
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
        close: () =>
          new Promise<void>((done) => {
            agent.destroy();
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    ),
  );
}
