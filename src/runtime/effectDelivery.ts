import { sourceKind } from '../engine/consentLedger';
import { decodeUserState } from '../engine/userState';
import { decideSend } from '../messenger/sendPolicy';
import type { SendMessage } from '../platform/sendApiSchema';
import { pageRateBucket, type RateLane } from '../store/keys';
import { psidOf } from '../store/partitionOf';
import type { Delivery, SenderOptions, Step } from './senderOptions';
import { onDeliveryError, type RateLimitStreak } from './senderErrors';
import { broadcastOutcome, deliverBroadcast, isBroadcastDelivery } from './broadcastDelivery';
import { armTimer, handOver, notifyStaff, schedule, takeBack, timerSlot } from './threadEffects';
import { sequenceTimer } from '../engine/sequenceEvents';

const laneOf = (m: SendMessage): RateLane =>
  'attachment' in m && (m.attachment.type === 'video' || m.attachment.type === 'audio') ? 'media' : 'text';

/**
 * Carries out one outbox entry's effect: the Graph calls of a send (policy, rate token, typing),
 * thread control, timers, notices. Decides nothing about order or fairness: the OutboxSender does.
 */
export class EffectDelivery {
  private readonly rateLimited: RateLimitStreak = { count: 0 };
  /** Per user, the inbox item whose replies already got their typing indicator (recent users only). */
  private readonly typedFor = new Map<string, string>();

  constructor(private readonly o: SenderOptions) {}

  /** Every kind is handled here by name: a kind added to the engine and not to this switch fails to compile. */
  async deliver(partition: number, entry: Delivery): Promise<Step> {
    const psid = psidOf(entry.userKey);
    const { effect } = entry;
    try {
      switch (effect.type) {
        case 'mark_seen':
          await this.o.graph.senderAction(psid, 'mark_seen');
          return { type: 'done', outcome: 'sent' };
        case 'typing': {
          await this.o.graph.senderAction(psid, 'typing_on');
          await this.o.sleep(Math.min(effect.ms, this.o.maxTypingMs ?? 3000));
          return { type: 'done', outcome: 'sent' };
        }
        case 'send': {
          const send = { ...entry, effect };
          if (isBroadcastDelivery(send))
            return await deliverBroadcast(this.o, partition, send, psid, () => this.waitForToken(laneOf(effect.message), 'bulk'));
          return await this.send(partition, send, psid);
        }
        case 'handover':
          if (await this.erasedSince(partition, entry)) return { type: 'done', outcome: 'erased' };
          return effect.take
            ? await takeBack(this.o, partition, { ...entry, effect }, psid)
            : await handOver(this.o, partition, { ...entry, effect }, psid);
        case 'schedule':
          if (await this.erasedSince(partition, entry)) return { type: 'done', outcome: 'erased' };
          await schedule(this.o, partition, { ...entry, effect }, psid);
          return { type: 'done', outcome: 'scheduled' };
        case 'cancel_timer':
          await this.o.store.timers.clear(partition, timerSlot(entry.userKey, effect.timer));
          return { type: 'done', outcome: 'cancelled' };
        case 'notify':
          if (await this.erasedSince(partition, entry)) return { type: 'done', outcome: 'erased' };
          return await notifyStaff(this.o, partition, { ...entry, effect }, psid);
        case 'consent':
          this.o.metrics.consentChanges.inc({
            source: sourceKind(effect.source),
            direction: effect.subscribed ? 'subscribed' : 'unsubscribed',
          });
          return { type: 'done', outcome: 'not_a_send' };
        case 'sequence':
          // A start is armed by its sequence_timer; a stop disarms the sequence's step timer.
          if (effect.action === 'start') return { type: 'done', outcome: 'not_a_send' };
          await this.o.store.timers.clear(partition, timerSlot(entry.userKey, sequenceTimer(effect.sequence)));
          return { type: 'done', outcome: 'cancelled' };
        case 'sequence_timer':
          if (await this.erasedSince(partition, entry)) return { type: 'done', outcome: 'erased' };
          await armTimer(this.o, partition, entry.userKey, psid, {
            timer: sequenceTimer(effect.sequence),
            id: effect.id,
            at: effect.at,
          });
          return { type: 'done', outcome: 'scheduled' };
        case 'warning':
          // A flow problem the linter could not see (a cycle, the message cap, a missing node).
          this.o.metrics.engineWarnings.inc({ code: effect.code });
          this.o.logger.warn({ partition, entryId: entry.id, code: effect.code, detail: effect.detail }, 'flow engine warning');
          return { type: 'done', outcome: 'logged' };
        default: {
          const unhandled: never = effect;
          throw new Error(`the sender has no case for ${JSON.stringify(unhandled)}`);
        }
      }
    } catch (err) {
      const step = await onDeliveryError(this.o, this.rateLimited, partition, entry, err);
      return effect.type === 'send' && effect.broadcast ? broadcastOutcome(effect.broadcast, step) : step;
    }
  }

  /**
   * Whether the user was erased after this entry's event: then a handover, a timer or a notice
   * must not act (its report or its timer would bring a state back for the erased user). Sends
   * need no check: with the state gone, the policy finds no open window.
   */
  private async erasedSince(partition: number, entry: Delivery): Promise<boolean> {
    const at = await this.o.store.states.forgottenAt(partition, entry.userKey);
    return at !== null && at >= Number(entry.itemId.split('-', 1)[0]);
  }

  private async send(partition: number, entry: Delivery<'send'>, psid: string): Promise<Step> {
    const { effect } = entry;
    const [stored, facts] = await Promise.all([
      this.o.store.states.load(partition, entry.userKey),
      this.o.store.states.deliveryFacts(partition, entry.userKey),
    ]);
    const state = decodeUserState(stored.data);
    const decision = decideSend(
      { messaging: effect.messaging, promotional: effect.promotional, byHumanAgent: effect.byHumanAgent },
      {
        lastInboundAt: state.lastInboundAt,
        windowEndsAt: state.windowEndsAt,
        // handing_over: the engine is already silent, so every send still queued was produced
        // before the handover; it goes out (the pass comes after it in this same outbox).
        botOwnsThread: state.thread === 'bot' || state.thread === 'handing_over',
        unreachable: facts.unreachableAt !== undefined,
        consent: state.consent,
        replyToInbound: effect.messaging === 'RESPONSE',
      },
      this.o.now(),
    );
    if (decision.type === 'refuse') {
      this.o.logger.info({ partition, entryId: entry.id, reason: decision.reason }, 'send refused by policy');
      return { type: 'done', outcome: `refused_${decision.reason}` };
    }
    const waited = await this.waitForToken(laneOf(effect.message), effect.messaging === 'RESPONSE' ? 'live' : 'bulk');
    if (waited !== 0) return { type: 'retry', ms: waited, why: 'rate_limit' };
    if (this.typedFor.get(entry.userKey) !== entry.itemId) {
      // One "typing…" before the replies to each inbound event, as its own sender-action request.
      await this.o.graph.senderAction(psid, 'typing_on');
      if (this.typedFor.size >= 10_000) this.typedFor.clear(); // only the latest item per user matters
      this.typedFor.set(entry.userKey, entry.itemId);
    }
    const tag = decision.messagingType === 'MESSAGE_TAG' ? { tag: decision.tag } : {};
    await this.o.graph.sendMessage({
      recipient: { id: psid },
      messaging_type: decision.messagingType,
      ...tag,
      message: effect.message,
    });
    this.rateLimited.count = 0;
    return { type: 'done', outcome: 'sent' };
  }

  /**
   * Takes a send token from the Page's shared bucket. Short waits happen right here, asking again
   * the moment the token is due: with a small bucket every millisecond spent re-reading the outbox
   * would be capacity lost. Returns 0 when granted, or the wait for long pauses (the caller backs off).
   */
  private async waitForToken(lane: RateLane, priority: 'live' | 'bulk'): Promise<number> {
    for (;;) {
      const token = await this.o.store.rateLimits.take(
        pageRateBucket(this.o.pageId, lane),
        this.o.rates[lane],
        this.o.rates.burst,
        { priority },
      );
      if (token.granted) return 0;
      if (token.retryInMs > 1000) return token.retryInMs;
      await this.o.sleep(token.retryInMs);
    }
  }
}
