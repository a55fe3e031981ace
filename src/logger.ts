import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Redaction is a second line of defence: code never logs tokens, secrets or
 * message texts at info, but if an object carrying them slips through, these paths are masked.
 */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'talkshop', pid: process.pid, ...bindings },
    redact: {
      paths: [
        '*.MESSENGER_ACCESS_TOKEN',
        '*.MESSENGER_APP_SECRET',
        '*.MESSENGER_VERIFY_TOKEN',
        '*.ADMIN_TOKEN',
        'access_token',
        '*.access_token',
        'req.headers.authorization',
        // The Graph client sends the token as a bearer header; an HTTP library's error or request
        // object (config.headers, headers) would carry it if one were ever logged.
        '*.headers.authorization',
        '*.headers.Authorization',
        '*.config.headers.Authorization',
        '*.config.params.access_token',
        'req.headers["x-hub-signature-256"]',
        '*.text',
      ],
      censor: '[redacted]',
    },
  });
}
