import pino, { type Logger } from 'pino';
import { requestSettingsSchema, type RequestSettings } from '../../src/engine/requestSettings';
import type { Resolve } from '../../src/requests/guardedAgent';

/** Settings as settings.yaml would give them (defaults filled in by the real schema). */
export const settingsOf = (input: Record<string, unknown>): RequestSettings => requestSettingsSchema.parse(input);

/** A resolver that knows only the names it is given (an unknown name fails like DNS would). */
export const fakeDns =
  (names: Record<string, string | string[]>): Resolve =>
  async (hostname) => {
    const found = names[hostname.toLowerCase()];
    if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return (Array.isArray(found) ? found : [found]).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

/** A pino logger at trace level whose every line is kept, to scan for what must never be logged. */
export function capturedLogger(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, text: () => lines.join('') };
}
