import { request, type ClientRequest, type IncomingMessage } from 'node:http';

/** One server-sent event as read off the wire. */
export interface SseFrame {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** An open text/event-stream response, read as it comes: its frames and its comment lines. */
export interface SseClient {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly frames: SseFrame[];
  readonly comments: string[];
  /** The body of a response that was not a stream (an error's JSON), once it ended. */
  body(): string;
  close(): void;
}

/** GETs `path` on 127.0.0.1:`port` and resolves once the status is in; the body keeps arriving into `frames`. */
export function openSse(port: number, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = request(
      { host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } },
      (res) => {
        const frames: SseFrame[] = [];
        const comments: string[] = [];
        let buffer = '';
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          raw += chunk;
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const frame: { id?: string; event?: string; data?: string } = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else if (line.startsWith('id: ')) frame.id = line.slice(4);
              else if (line.startsWith('event: ')) frame.event = line.slice(7);
              else if (line.startsWith('data: '))
                frame.data = (frame.data === undefined ? '' : `${frame.data}\n`) + line.slice(6);
            }
            if (frame.data !== undefined) frames.push({ ...frame, data: frame.data });
          }
        });
        res.on('error', () => undefined); // closed by close() below
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          frames,
          comments,
          body: () => raw,
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
