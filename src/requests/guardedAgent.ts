import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, buildConnector } from 'undici';
import { isPublicAddress } from './addressPolicy';

/** Resolves a host name to its addresses (injected in tests: `shop.test` → 10.0.0.1). */
export type Resolve = (hostname: string) => Promise<ReadonlyArray<{ readonly address: string; readonly family: number }>>;

export const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** Thrown inside the connector when an address is not allowed; the requester turns it into an outcome. */
export class AddressRefusedError extends Error {
  readonly code = 'TALKSHOP_ADDRESS_REFUSED';
  constructor(host: string) {
    super(`${host} resolves to an address outbound requests may not reach (loopback, private, link-local…)`);
  }
}

export const isAddressRefused = (err: unknown): boolean => {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof AddressRefusedError) return true;
  return false;
};

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * net.connect's `lookup`: the addresses come from `resolve`, and a name with any address that is
 * not public is refused before a connection is tried (unless private ones are allowed).
 */
function guardedLookup(resolve: Resolve, allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (answers) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = answers.filter((a) => family === 0 || a.family === family);
        if (usable.length === 0)
          return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
        if (!allowPrivate && usable.some((a) => !isPublicAddress(a.address)))
          return callback(new AddressRefusedError(hostname), '');
        if (options.all)
          return callback(
            null,
            usable.map((a) => ({ address: a.address, family: a.family })),
          );
        const first = usable[0] as { address: string; family: number };
        callback(null, first.address, first.family);
      },
      (err: Error) => callback(err, ''),
    );
  };
}

/**
 * An undici Agent whose every connection is checked: the name's addresses when it is resolved
 * (guardedLookup), and the address the socket actually connected to (an IP literal skips the
 * lookup; a resolver that answered differently the second time is caught here too).
 */
export function guardedAgent(resolve: Resolve, allowPrivate: boolean, connectTimeoutMs: number): Agent {
  const base = buildConnector({ timeout: connectTimeoutMs, lookup: guardedLookup(resolve, allowPrivate) });
  const connect: buildConnector.connector = (options, callback) =>
    base(options, (...args) => {
      const [err, socket] = args;
      if (err !== null) return callback(err, null);
      if (!allowPrivate && !isPublicAddress(socket.remoteAddress ?? '')) {
        socket.destroy();
        return callback(new AddressRefusedError(options.hostname), null);
      }
      callback(null, socket);
    });
  // No redirects are followed (maxRedirections 0, undici's default); time limits are the requester's.
  return new Agent({ connect, keepAliveTimeout: 4_000, headersTimeout: 0, bodyTimeout: 0 });
}
