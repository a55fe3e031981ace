import type { EffectOf } from '../engine/effects';
import type { QuestionIndex } from '../engine/questionIndex';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { classifyOutcome } from '../requests/outboundRequest';
import type { Requester } from '../requests/safeRequester';
import type { Store } from '../store/ports';
import { internalEvent } from '../store/messengerEvent';
import { psidOf } from '../store/partitionOf';
import type { OutsideCall } from './outsideCall';
import { questionModelCall, type QuestionModelSettings } from './questionModelCall';
import { retryStore } from './storeRetry';

/** Flow requests in flight in one process at most; more wait in the outbox for the next round. */
export const MAX_REQUESTS_IN_FLIGHT = 512;

export interface FlowRequestsOptions {
  readonly requester: Requester;
  readonly store: Store;
  readonly pageId: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly maxInFlight?: number;
  /** The language model that may choose among the flows' questions (classify_question); absent: not configured. */
  readonly questionModel?: QuestionModelSettings;
  /** The flows' questions, put before the model (the entry carries only the customer's text). */
  readonly questions?: QuestionIndex;
}

/** A request entry of the outbox (a flow's request, or a question for the language model), as the sender hands it over. */
export interface RequestEntry {
  readonly partition: number;
  readonly id: string;
  readonly userKey: string;
  readonly effect: EffectOf<'request'> | EffectOf<'classify_question'>;
}

/** A flow's request: its result is the `request_result` event the flow branches on. */
function flowRequestCall(effect: EffectOf<'request'>): OutsideCall {
  return {
    kind: 'request_result',
    request: {
      method: effect.method,
      url: effect.url,
      headers: effect.headers,
      ...(effect.body === undefined ? {} : { body: effect.body }),
      timeoutMs: effect.timeoutMs,
      name: effect.name,
    },
    result: (outcome) => ({
      id: effect.id,
      outcome: outcome ? classifyOutcome(outcome) : 'failed',
      ...(outcome?.kind === 'response' ? { status: outcome.status } : {}),
      ...(outcome?.kind === 'response' && outcome.json !== null ? { json: outcome.json } : {}),
    }),
  };
}

/**
 * A flow's requests to outside APIs, run beside the outbox rounds rather than in them: a request
 * may take up to its timeout (30 s at most), and a round that waited for it would hold up every
 * other customer of the partition. The sender hands an entry over and goes on; the result goes
 * into the user's own inbox as a `request_result` event (so it is ordered with whatever the user
 * did meanwhile), and only then is the entry acknowledged. A question for the language model
 * (classify_question) goes the same way, its choice coming back as a `question_choice` event. After a crash the entry is still in the
 * outbox and the request is made again: the inbox's dedupe key (the entry's id) keeps a second
 * result out of the lane, but the API may see the call twice (at least once; docs/flows.md).
 */
export class FlowRequests {
  /** Entry ids in flight, with the controller that aborts them when the partition is given up. */
  private readonly inFlight = new Map<string, { readonly partition: number; readonly abort: AbortController }>();

  constructor(private readonly o: FlowRequestsOptions) {}

  /** Whether the entry is in flight here (a round must not start it again). */
  has(entryId: string): boolean {
    return this.inFlight.has(entryId);
  }

  /** False when the process already has its most requests out: the entry waits for a later round. */
  get full(): boolean {
    return this.inFlight.size >= (this.o.maxInFlight ?? MAX_REQUESTS_IN_FLIGHT);
  }

  /**
   * Starts the request; `recorded` runs once its result is in the user's inbox, and is where the
   * sender acknowledges the entry. Not called when the partition was given up meanwhile (the
   * request is aborted, the entry stays for the next holder), nor when the store stayed down.
   */
  start(entry: RequestEntry, active: () => boolean, recorded: () => Promise<void>): void {
    const abort = new AbortController();
    this.inFlight.set(entry.id, { partition: entry.partition, abort });
    void this.run(entry, abort, active)
      .then((ok) => (ok ? recorded() : undefined))
      .catch((err: unknown) =>
        this.o.logger.error(
          { err, partition: entry.partition, entryId: entry.id },
          'flow request failed unexpectedly; retried by the next holder',
        ),
      )
      .finally(() => this.inFlight.delete(entry.id));
  }

  /** Aborts the partition's requests (it was given up): their entries stay in the outbox. */
  abandon(partition: number): void {
    for (const r of this.inFlight.values()) if (r.partition === partition) r.abort.abort();
  }

  private async run(entry: RequestEntry, abort: AbortController, active: () => boolean): Promise<boolean> {
    const { effect } = entry;
    const call =
      effect.type === 'request'
        ? flowRequestCall(effect)
        : questionModelCall(this.o.questionModel, this.o.questions, effect, (outcome) =>
            this.o.metrics.questionModelChoices.inc({ outcome }),
          );
    // One try (the requester never retries): the customer is waiting.
    const outcome = call.request ? await this.o.requester.request(call.request, abort.signal) : undefined;
    if (abort.signal.aborted) return false;
    return this.record(entry, call.kind, call.result(outcome), active);
  }

  /** Appends the result to the user's inbox, retrying store hiccups while the partition is held. */
  private async record(
    entry: RequestEntry,
    kind: OutsideCall['kind'],
    raw: Readonly<Record<string, unknown>>,
    active: () => boolean,
  ): Promise<boolean> {
    const dedupeKey = `request:${entry.id}`;
    const event = internalEvent(kind, this.o.pageId, psidOf(entry.userKey), this.o.now(), dedupeKey, raw);
    const append = () =>
      this.o.store.inbox.append([{ partition: entry.partition, dedupeKey, record: { source: 'sender', event } }]);
    const ctx = { ...this.o, active, partition: entry.partition };
    return (await retryStore('request result', append, ctx)) !== undefined;
  }
}
