import { broadcastStatField, type BroadcastCounter, type BroadcastMark, type BroadcastSkipReason } from '../engine/broadcastSend';
import { decodeUserState, type UserState } from '../engine/userState';
import { marketingCampaignFailure, marketingRefusal } from '../messenger/graphErrors';
import { decideSend, type RefusalReason } from '../messenger/sendPolicy';
import type { DeliveryFacts } from '../store/ports';
import type { Delivery, SenderOptions, Step } from './senderOptions';

/** Takes a bulk rate token for the entry's lane: 0 when granted, else how long to wait. */
export type BulkToken = () => Promise<number>;

/** A broadcast's send effect, with its mark. */
export type BroadcastDelivery = Delivery<'send'> & { readonly effect: { readonly broadcast: BroadcastMark } };

export const isBroadcastDelivery = (d: Delivery<'send'>): d is BroadcastDelivery => d.effect.broadcast !== undefined;

const REFUSAL_REASONS: Readonly<Record<RefusalReason, BroadcastSkipReason>> = {
  outside_window_promotional: 'outside_window',
  outside_window_no_tag: 'outside_window',
  tag_not_allowed: 'not_eligible',
  promotional_tag: 'not_eligible',
  human_owns_thread: 'human_owns_thread',
  unreachable: 'unreachable',
  opted_out: 'no_consent',
  human_agent_expired: 'outside_window',
};

/** The entry's outcome counted for its broadcast (test sends count nowhere). */
export function broadcastDone(mark: BroadcastMark, outcome: string, counter: BroadcastCounter): Step {
  return { type: 'done', outcome, ...(mark.test === true ? {} : { stat: broadcastStatField(mark.id, counter) }) };
}

const skip = (mark: BroadcastMark, reason: BroadcastSkipReason): Step =>
  broadcastDone(mark, `skipped_${reason}`, `skipped:${reason}`);

/**
 * What a finished delivery of a broadcast entry counts as: Meta's "cannot be reached" and "outside
 * the window" are skips (the user, not the send, was the problem), anything else dropped is a
 * failure by its error class. Retries count nothing yet.
 */
export function broadcastOutcome(mark: BroadcastMark, step: Step): Step {
  if (step.type !== 'done' || step.stat !== undefined) return step;
  if (step.outcome === 'unreachable') return skip(mark, 'unreachable');
  if (step.outcome === 'outside_window') return skip(mark, 'outside_window');
  return broadcastDone(mark, step.outcome, `failed:${step.outcome}`);
}

/** Marketing Messages: the user's active, unexpired token for the topic, or why there is none. */
function marketingToken(state: UserState, topic: string | undefined, now: number): string | BroadcastSkipReason {
  if (topic === undefined || state.consent[topic]?.subscribed !== true) return 'no_consent';
  const token = state.marketingTokens[topic];
  if (!token || token.status !== 'active' || (token.expiresAt !== null && token.expiresAt <= now)) return 'no_token';
  return token.token;
}

/**
 * Sends one broadcast entry, checking Meta's rules against the user's state at this very moment
 * (consent withdrawn a second ago → skipped), at bulk priority (live replies keep their reserve of
 * the Page's rate), without a typing indicator (nobody is waiting for it). An erased user (a
 * tombstone) or one whose state is gone is skipped as deleted; a cancelled broadcast's entries
 * still queued are skipped as cancelled.
 */
export async function deliverBroadcast(
  o: SenderOptions,
  partition: number,
  entry: BroadcastDelivery,
  psid: string,
  token: BulkToken,
): Promise<Step> {
  const { effect } = entry;
  const mark = effect.broadcast;
  if (mark.test !== true && mark.source !== 'sequence') {
    const info = await o.broadcasts?.lookup(mark.id);
    if (info?.status === 'cancelled') return skip(mark, 'cancelled');
  }
  const [stored, facts, forgottenAt] = await Promise.all([
    o.store.states.load(partition, entry.userKey),
    o.store.states.deliveryFacts(partition, entry.userKey),
    o.store.states.forgottenAt(partition, entry.userKey),
  ]);
  if (stored.version === 0 || (forgottenAt !== null && mark.test !== true)) return skip(mark, 'deleted');
  const state = decodeUserState(stored.data);
  if (mark.kind === 'marketing_message') return sendMarketing(o, entry, state, facts, token);
  const decision = decideSend(
    {
      messaging: 'UPDATE',
      promotional: effect.promotional,
      ...(mark.tag ? { tag: mark.tag } : {}),
      ...(mark.topic ? { topic: mark.topic } : {}),
    },
    {
      lastInboundAt: state.lastInboundAt,
      windowEndsAt: state.windowEndsAt,
      botOwnsThread: state.thread === 'bot',
      unreachable: facts.unreachableAt !== undefined,
      consent: state.consent,
      replyToInbound: false,
    },
    o.now(),
  );
  if (decision.type === 'refuse') return skip(mark, REFUSAL_REASONS[decision.reason]);
  const waited = await token();
  if (waited !== 0) return { type: 'retry', ms: waited, why: 'rate_limit' };
  await o.graph.sendMessage({
    recipient: { id: psid },
    messaging_type: decision.messagingType,
    ...(decision.messagingType === 'MESSAGE_TAG' ? { tag: decision.tag } : {}),
    message: effect.message,
  });
  return broadcastDone(mark, 'sent', 'sent');
}

/** A broadcast's campaign (made when it was created), or a sequence's (made on its first marketing message). */
async function campaignOf(o: SenderOptions, mark: BroadcastMark): Promise<string | undefined> {
  if (mark.source !== 'sequence') return (await o.broadcasts?.lookup(mark.id))?.campaign;
  const marketing = o.marketing;
  const sequence = mark.id.split('.')[1];
  if (!marketing || !o.broadcasts || sequence === undefined) return undefined;
  return o.broadcasts.sequenceCampaign(sequence, () =>
    o.graph.createMessageCampaign(marketing.adAccountId, { name: `Talkshop sequence ${sequence}` }),
  );
}

async function sendMarketing(
  o: SenderOptions,
  entry: BroadcastDelivery,
  state: UserState,
  facts: DeliveryFacts,
  token: BulkToken,
): Promise<Step> {
  const mark = entry.effect.broadcast;
  if (facts.unreachableAt !== undefined) return skip(mark, 'unreachable');
  if (state.thread !== 'bot') return skip(mark, 'human_owns_thread');
  const subscription = marketingToken(state, mark.topic, o.now());
  if (subscription === 'no_consent' || subscription === 'no_token') return skip(mark, subscription);
  const campaign = await campaignOf(o, mark);
  if (!o.marketing || campaign === undefined) return broadcastDone(mark, 'no_campaign', 'failed:no_campaign');
  const waited = await token();
  if (waited !== 0) return { type: 'retry', ms: waited, why: 'rate_limit' };
  try {
    await o.graph.sendMarketingMessage(o.marketing.adAccountId, {
      message_id: campaign,
      messenger_delivery_data: { subscription_token: subscription },
      message: entry.effect.message,
    });
  } catch (err) {
    if (marketingCampaignFailure(err) !== undefined) {
      // The campaign, not this subscriber, is the problem: every further send would fail the same
      // way, so the broadcast pauses for the marketer (resume once the campaign is active again).
      o.logger.error({ entryId: entry.id, broadcast: mark.id }, 'ALERT: marketing campaign refused by Meta; broadcast paused');
      await o.store.broadcasts?.setStatus(mark.id, ['running', 'scheduled'], 'paused', o.now());
      throw err;
    }
    const refusal = marketingRefusal(err);
    if (!refusal) throw err;
    o.logger.info(
      { entryId: entry.id, broadcast: mark.id, reason: refusal.reason, detail: refusal.detail },
      'marketing message refused for this subscriber',
    );
    return skip(mark, refusal.reason === 'region' ? 'region' : 'not_eligible');
  }
  return broadcastDone(mark, 'sent', 'sent');
}
