import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * An OpenAI-compatible chat completions endpoint on loopback, for tests and the demo of the
 * questions' language model (docs/flows.md, "A language model, boxed in"). It answers POST
 * /v1/chat/completions with what its chooser says for the request: an id, "none", prose, an error
 * status, a body that is not JSON, or nothing until released (a slow model). Every call is
 * recorded. No model runs here: the default chooser maps keywords to ids. No test-only imports.
 */

export const COMPLETIONS_PATH = '/v1/chat/completions';
/** Bodies above this are refused (413): a prompt of 100 questions is far smaller. */
const MAX_BODY_BYTES = 512 * 1024;
const MAX_CALLS_KEPT = 1000;

/** One call as the fake read it. */
export interface FakeLlmCall {
  readonly model: string;
  /** The system prompt (the questions' ids and phrasings). */
  readonly system: string;
  /** The user message (the customer's text). */
  readonly user: string;
  readonly temperature?: number;
  /** max_tokens or max_completion_tokens, whichever was sent (a refused call is not recorded). */
  readonly maxTokens?: number;
  readonly authorization?: string;
}

/** What the fake answers a call with. */
export type FakeLlmReply =
  | { readonly kind: 'content'; readonly content: string }
  | { readonly kind: 'status'; readonly status: number }
  /** A 200 whose body is not JSON. */
  | { readonly kind: 'garbage' }
  /** No answer until release() (or stop()): the caller's time limit ends it. */
  | { readonly kind: 'hold' };

export type FakeLlmChooser = (call: FakeLlmCall) => FakeLlmReply;

export interface FakeLlmApi {
  /** The completions URL, e.g. http://127.0.0.1:41234/v1/chat/completions. */
  readonly url: string;
  readonly port: number;
  readonly calls: readonly FakeLlmCall[];
  /** Answers every held call with `reply` (default: none). */
  release(reply?: FakeLlmReply): void;
  /** Calls held now. */
  readonly heldCount: number;
  stop(): Promise<void>;
}

export interface FakeLlmOptions {
  /** Default: keywordChooser(keywords). */
  readonly chooser?: FakeLlmChooser;
  /** Lower-case keyword → the id answered when the user's text contains it; otherwise "none". */
  readonly keywords?: Readonly<Record<string, string>>;
  readonly host?: string;
  /** 0 (default): any free port. */
  readonly port?: number;
  /**
   * The one field this "model" takes to cap its reply; a request with the other is refused with a
   * 400, as real servers do (newer OpenAI models refuse max_tokens; older servers do not know
   * max_completion_tokens). Absent: either is taken.
   */
  readonly tokenField?: TokenField;
}

export type TokenField = 'max_tokens' | 'max_completion_tokens';

/** Answers the id of the first keyword the user's text contains, else "none". */
export function keywordChooser(keywords: Readonly<Record<string, string>>): FakeLlmChooser {
  return (call) => {
    const text = call.user.toLowerCase();
    const hit = Object.entries(keywords).find(([word]) => text.includes(word));
    return { kind: 'content', content: hit ? hit[1] : 'none' };
  };
}

const requestSchema = z.object({
  model: z.string(),
  messages: z.array(z.object({ role: z.string(), content: z.string() })),
  temperature: z.number().optional(),
  max_tokens: z.number().optional(),
  max_completion_tokens: z.number().optional(),
});

/** The 400 a server answers for the field it does not take, worded like OpenAI's. */
function refusedField(took: TokenField, sent: TokenField): unknown {
  return {
    error: {
      message: `Unsupported parameter: '${sent}' is not supported with this model. Use '${took}' instead.`,
      type: 'invalid_request_error',
      param: sent,
      code: 'unsupported_parameter',
    },
  };
}

function completion(model: string, content: string): unknown {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

export async function startFakeLlmApi(options: FakeLlmOptions = {}): Promise<FakeLlmApi> {
  const chooser = options.chooser ?? keywordChooser(options.keywords ?? {});
  const calls: FakeLlmCall[] = [];
  const held = new Map<ServerResponse, string>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const answer = (res: ServerResponse, model: string, reply: FakeLlmReply): void => {
    if (res.writableEnded || res.destroyed) return;
    switch (reply.kind) {
      case 'content':
        return json(res, 200, completion(model, reply.content));
      case 'status':
        return json(res, reply.status, { error: { message: 'the fake model fails on purpose', type: 'server_error' } });
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('<html>not json at all');
      case 'hold':
        held.set(res, model);
        return void res.once('close', () => held.delete(res));
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST' || (req.url ?? '').split('?', 1)[0] !== COMPLETIONS_PATH)
      return json(res, 404, { error: { message: `POST ${COMPLETIONS_PATH} only` } });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return json(res, 413, { error: { message: 'body too large' } });
      let parsed: z.infer<typeof requestSchema>;
      try {
        parsed = requestSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        return json(res, 400, { error: { message: 'expected a chat completions request' } });
      }
      const wrong: TokenField = options.tokenField === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
      if (options.tokenField !== undefined && parsed[wrong] !== undefined)
        return json(res, 400, refusedField(options.tokenField, wrong));
      const maxTokens = parsed.max_tokens ?? parsed.max_completion_tokens;
      const call: FakeLlmCall = {
        model: parsed.model,
        system: parsed.messages.find((m) => m.role === 'system')?.content ?? '',
        user: parsed.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '',
        ...(parsed.temperature === undefined ? {} : { temperature: parsed.temperature }),
        ...(maxTokens === undefined ? {} : { maxTokens }),
        ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
      };
      calls.push(call);
      if (calls.length > MAX_CALLS_KEPT) calls.splice(0, calls.length - MAX_CALLS_KEPT);
      answer(res, parsed.model, chooser(call));
    });
  };

  const server: Server = createServer(handle);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}${COMPLETIONS_PATH}`,
    port,
    calls,
    get heldCount() {
      return held.size;
    },
    release(reply = { kind: 'content', content: 'none' }) {
      for (const [res, model] of [...held]) {
        held.delete(res);
        answer(res, model, reply);
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        held.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
