import type { z } from 'zod';

/** What the fake Graph API answers instead of success (Meta's error envelope, docs/messenger-platform.md §3.5). */
export interface FakeGraphError {
  readonly code: number;
  readonly subcode?: number;
  /** Default: Meta's wording for the code (DEFAULT_MESSAGES) or a generic one. */
  readonly message?: string;
  /** HTTP status; default 500 for codes 1 and 2, else 400. */
  readonly status?: number;
  /** Default OAuthException. */
  readonly type?: string;
}

/** The errors tests and demos ask for most, with Meta's codes (§3.5). */
export const FAKE_ERRORS = {
  unavailable: { code: 551, subcode: 1545041 },
  outsideWindow: { code: 10, subcode: 2018278 },
  noMatchingUser: { code: 100, subcode: 2018001 },
  rateLimit: { code: 613 },
  pageRateLimit: { code: 32 },
  transient: { code: 2, status: 500 },
  temporarySendFailure: { code: 1200, subcode: 2018024, status: 500 },
  tokenInvalid: { code: 190 },
  permission: { code: 200 },
} as const satisfies Record<string, FakeGraphError>;

export const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  '1': 'An unknown error occurred',
  '2': 'An unexpected error has occurred. Please retry your request later.',
  '4': '(#4) Application request limit reached',
  '10/2018278': '(#10) This message is sent outside of allowed window.',
  '32': '(#32) Page request limit reached',
  '100/2018001': '(#100) No matching user found',
  '190': 'Invalid OAuth access token - Cannot parse access token',
  '200': "(#200) This person isn't receiving messages from you right now.",
  '551': "(#551) This person isn't available right now.",
  '613': '(#613) Calls to this API have exceeded the rate limit.',
  '1200': 'Temporary send message failure. Please try again later',
};

/**
 * What an endpoint handler needs from the fake around it: answering an error (throws, so the
 * handler stops there), validating a body with a zod schema the way Graph reports bad params,
 * naming the PSID a call was about, and the per-recipient failures tests ask for.
 */
export interface FakeHandlerKit {
  readonly fail: (error: FakeGraphError) => never;
  readonly parse: <S extends z.ZodType>(schema: S, body: unknown) => z.output<S>;
  readonly now: () => number;
}
