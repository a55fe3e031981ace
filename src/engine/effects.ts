import type { SendMessage } from '../platform/sendApiSchema';

/**
 * What the engine asks the outside world to do. Plain data: the runtime commits these with the
 * state, and the outbox sender executes them in order.
 */
export type EngineEffect =
  | {
      readonly type: 'send';
      readonly message: SendMessage;
      /** RESPONSE: a reply to what the user just did. UPDATE: anything else (sequences, resumes). */
      readonly messaging: 'RESPONSE' | 'UPDATE';
      readonly promotional: boolean;
      /** A person's own words (admin API): may use HUMAN_AGENT up to 7 days, and goes out while a person owns the thread. */
      readonly byHumanAgent?: boolean;
    }
  | { readonly type: 'typing'; readonly ms: number }
  | { readonly type: 'mark_seen' }
  /** Pass thread control (to the Page Inbox unless `targetAppId` names another app), or `take` it back. */
  | {
      readonly type: 'handover';
      readonly reason: string;
      readonly metadata: Readonly<Record<string, unknown>>;
      readonly targetAppId?: string;
      readonly take?: boolean;
    }
  /** Arm a timer; when due it comes back through the user's inbox as a `timer` event with this id. */
  | { readonly type: 'schedule'; readonly timer: 'handover_timeout'; readonly id: string; readonly at: number }
  /** Disarm the user's timer of that name (the thread is back with the bot, or paused). */
  | { readonly type: 'cancel_timer'; readonly timer: 'handover_timeout' }
  | { readonly type: 'consent'; readonly topic: string; readonly subscribed: boolean; readonly source: string }
  | { readonly type: 'sequence'; readonly action: 'start' | 'stop'; readonly sequence: string }
  | { readonly type: 'notify'; readonly text: string; readonly reason: string }
  | { readonly type: 'warning'; readonly code: 'message_cap' | 'cycle' | 'missing_node'; readonly detail: string };
