import { z } from 'zod';
import type { UserState } from '../engine/userState';

/**
 * What the sender checks before a reply (the policy's recipient facts that live in the user's
 * state), encoded by the worker with every commit of the state and stored beside it. The sender
 * reads these few bytes per send instead of loading and validating the whole state, which holds
 * the transcript, the consent ledger and the fields.
 */
export interface SendFacts {
  readonly lastInboundAt: number | null;
  readonly windowEndsAt: number | null;
  /** Who owns the conversation (UserState.thread). */
  readonly thread: string;
}

/** v: the format; a sender that meets another version reads the whole state instead. */
const sendFactsSchema = z.object({
  v: z.literal(1),
  l: z.number().nullable(),
  w: z.number().nullable(),
  t: z.string().max(40),
});

export const sendFactsOf = (state: UserState): SendFacts => ({
  lastInboundAt: state.lastInboundAt,
  windowEndsAt: state.windowEndsAt,
  thread: state.thread,
});

export const encodeSendFacts = (state: UserState): string =>
  JSON.stringify({ v: 1, l: state.lastInboundAt, w: state.windowEndsAt, t: state.thread });

/** The facts, or undefined when there are none or they cannot be read (the caller reads the state). */
export function decodeSendFacts(text: string | null): SendFacts | undefined {
  if (text === null) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = sendFactsSchema.safeParse(json);
  return parsed.success ? { lastInboundAt: parsed.data.l, windowEndsAt: parsed.data.w, thread: parsed.data.t } : undefined;
}
