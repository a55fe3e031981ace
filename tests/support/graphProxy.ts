import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback proxy in front of several fake Graph APIs. */
export interface GraphProxy {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Forwards each Graph call to the base URL `route` picks from its bearer token, so several Pages'
 * fakes (each knows one Page and one token) sit behind the one GRAPH_API_URL a deployment has: a
 * call made with the wrong Page's token reaches the wrong fake, which refuses and records it.
 */
export function startGraphProxy(route: (token: string | undefined) => string): Promise<GraphProxy> {
  const server = createServer((req, res) => {
    const token = req.headers.authorization?.match(/^Bearer (\S+)$/)?.[1];
    const out = request(new URL(req.url ?? '/', route(token)), { method: req.method, headers: req.headers }, (answer) => {
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
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}
