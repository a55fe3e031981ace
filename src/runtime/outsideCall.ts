import type { InternalKind } from '../store/messengerEvent';
import type { OutboundRequest, RequestOutcome } from '../requests/outboundRequest';

/**
 * One call FlowRequests makes for an outbox entry (a flow's request, a question for the language
 * model): what to ask the requester, and the internal event its outcome becomes in the user's lane.
 */
export interface OutsideCall {
  readonly kind: Extract<InternalKind, 'request_result' | 'question_choice'>;
  /** Absent when the call cannot be made here (no language model configured): the result is recorded at once. */
  readonly request?: OutboundRequest;
  /** The event's raw body; `outcome` undefined when no call was made. */
  readonly result: (outcome: RequestOutcome | undefined) => Readonly<Record<string, unknown>>;
}
