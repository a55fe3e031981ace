import type { FakeCall, FakeGraphApi } from '../src/emulator/fakeGraphApi';

/**
 * What the service asked of the Graph API during a bench phase, by kind, as the fake saw it
 * (issue #16: a Page gets 300 Send API calls a second, sender actions included, so the figure
 * that matters is calls per message sent, not messages alone).
 */
export interface GraphCallFigures {
  /** /me/messages calls carrying a message, answered 200: messages sent. */
  readonly messagesSent: number;
  /** /me/messages message calls answered with an error. */
  readonly messagesRefused: number;
  /** Sender actions (mark_seen, typing_on, typing_off…) by kind, whatever the answer. */
  readonly senderActions: Readonly<Record<string, number>>;
  /** User profile lookups (GET /<psid>), whatever the answer. */
  readonly profileLookups: number;
  /** Every other call (thread control, Messenger Profile, marketing…). */
  readonly other: number;
  /** Send API calls: messages and sender actions, whatever the answer. */
  readonly sendApiCalls: number;
  readonly graphCalls: number;
  /** Rate-limit answers by Meta's code: 613 the Send API's rate, 32 the Page's, 4 the app's. */
  readonly rateLimitAnswers: { readonly '613': number; readonly '32': number; readonly '4': number };
  /** Other error answers. */
  readonly otherErrors: number;
  /** The most Send API calls that arrived within any 1,000 ms. */
  readonly peakSendApiCallsPerSecond: number;
  /** Arrival of the first and the last message sent (ms, the fake's clock); 0 when none. */
  readonly firstMessageAt: number;
  readonly lastMessageAt: number;
}

const RATE_CODES = new Set([613, 32, 4]);

function errorCode(call: FakeCall): number | undefined {
  const code = (call.response as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The most values of a sorted list within any `windowMs` (a two-pointer sweep). */
function peakInWindow(sorted: readonly number[], windowMs: number): number {
  let peak = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to += 1) {
    while ((sorted[from] ?? 0) <= (sorted[to] ?? 0) - windowMs) from += 1;
    peak = Math.max(peak, to - from + 1);
  }
  return peak;
}

/** Tallies the fake's calls as they arrive (the fake need not record them), from construction to close(). */
export class GraphCallTally {
  private messagesSent = 0;
  private messagesRefused = 0;
  private readonly senderActions: Record<string, number> = {};
  private profileLookups = 0;
  private other = 0;
  private readonly rate = { '613': 0, '32': 0, '4': 0 };
  private otherErrors = 0;
  private readonly sendTimes: number[] = [];
  private firstMessageAt = 0;
  private lastMessageAt = 0;
  private readonly unsubscribe: () => void;

  constructor(
    fake: FakeGraphApi,
    /** Called for each message sent with its recipient and arrival time. */
    private readonly onMessage?: (psid: string, at: number, call: FakeCall) => void,
  ) {
    this.unsubscribe = fake.onCall((c) => this.add(c));
  }

  private add(c: FakeCall): void {
    if (c.status !== 200) {
      const code = errorCode(c);
      if (code !== undefined && RATE_CODES.has(code)) this.rate[String(code) as '613' | '32' | '4'] += 1;
      else this.otherErrors += 1;
    }
    if (c.endpoint === 'messages' || c.endpoint === 'sender_action') this.sendTimes.push(c.at);
    if (c.endpoint === 'sender_action') {
      const kind = String((c.body as { sender_action?: unknown } | undefined)?.sender_action);
      this.senderActions[kind] = (this.senderActions[kind] ?? 0) + 1;
    } else if (c.endpoint === 'messages') {
      if (c.status !== 200) {
        this.messagesRefused += 1;
        return;
      }
      this.messagesSent += 1;
      this.firstMessageAt ||= c.at;
      this.lastMessageAt = c.at;
      this.onMessage?.(c.recipientId ?? '', c.at, c);
    } else if (c.endpoint === 'user_profile') this.profileLookups += 1;
    else this.other += 1;
  }

  figures(): GraphCallFigures {
    const actions = Object.values(this.senderActions).reduce((a, b) => a + b, 0);
    const sendApiCalls = this.messagesSent + this.messagesRefused + actions;
    return {
      messagesSent: this.messagesSent,
      messagesRefused: this.messagesRefused,
      senderActions: { ...this.senderActions },
      profileLookups: this.profileLookups,
      other: this.other,
      sendApiCalls,
      graphCalls: sendApiCalls + this.profileLookups + this.other,
      rateLimitAnswers: { ...this.rate },
      otherErrors: this.otherErrors,
      peakSendApiCallsPerSecond: peakInWindow(
        [...this.sendTimes].sort((a, b) => a - b),
        1000,
      ),
      firstMessageAt: this.firstMessageAt,
      lastMessageAt: this.lastMessageAt,
    };
  }

  close(): void {
    this.unsubscribe();
  }
}

const ratio = (n: number, d: number) => (d === 0 ? 0 : Math.round((n / d) * 1000) / 1000);

/** Calls per inbound message and per message sent, by kind (sender actions and profile lookups apart). */
export function callsPerMessage(f: GraphCallFigures, inbound: number) {
  const actions = Object.values(f.senderActions).reduce((a, b) => a + b, 0);
  const per = (d: number) => ({
    sendApi: ratio(f.sendApiCalls, d),
    messages: ratio(f.messagesSent + f.messagesRefused, d),
    senderActions: ratio(actions, d),
    profileLookups: ratio(f.profileLookups, d),
    other: ratio(f.other, d),
    all: ratio(f.graphCalls, d),
  });
  return { perInbound: per(inbound), perMessageSent: per(f.messagesSent) };
}
