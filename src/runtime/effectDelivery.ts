import { createHash } from 'node:crypto';
import { sourceKind } from '../engine/consentLedger';
import { decodeUserState } from '../engine/userState';
import type { SenderAction } from '../messenger/graphClient';
import { decideSend } from '../messenger/sendPolicy';
import type { SendMessage } from '../platform/sendApiSchema';
import type { RateLane } from '../store/keys';
import { psidOf } from '../store/partitionOf';
import { DispatchWindow } from './dispatchWindow';
import { PageTokens } from './pageTokens';
import { decodeSendFacts, sendFactsOf, type SendFacts } from './sendFacts';
import type { Delivery, SenderOptions, Step } from './senderOptions';
import { onDeliveryError, type RateLimitStreak } from './senderErrors';
import { broadcastOutcome, deliverBroadcast, isBroadcastDelivery } from './broadcastDelivery';
import { armTimer, handOver, notifyStaff, schedule, takeBack, timerSlot } from './threadEffects';
import { sequenceTimer } from '../engine/sequenceEvents';
import { deliverCommentReply, deliverPrivateReply } from './commentDelivery';

const laneOf = (m: SendMessage): RateLane =>
  'attachment' in m && (m.attachment.type === 'video' || m.attachment.type === 'audio') ? 'media' : 'text';

/** Users whose last sender call from this process was a typing indicator (recent users only). */
const TYPING_MEMORY = 10_000;

/**
 * Carries out one outbox entry's effect: the Graph calls of a send (policy, rate token), the
 * cosmetic sender actions, thread control, timers, notices. Decides nothing about order or
 * fairness: the OutboxSender does.
 *
 * Cosmetics come last: a seen marker or typing indicator goes out only while the Page's bucket is
 * not under pressure (PageTokens.tryCosmetic), never waits for a token, and is dropped otherwise;
 * a reply itself is never preceded by an indicator of its own (one call per message), only a
 * flow's typing pause shows one, and never twice in a row.
 */
export class EffectDelivery {
  private readonly rateLimited: RateLimitStreak = { count: 0 };
  private readonly tokens: PageTokens;
  /** Users whose last call was typing_on and who got no message since: a second one would say nothing. */
  private readonly typing = new Set<string>();

  /** Per lane: the Send API calls this process makes, held to the bucket's own bound at the moment they leave. */
  private readonly windows: Readonly<Record<RateLane, DispatchWindow>>;

  constructor(private readonly o: SenderOptions) {
    this.tokens = new PageTokens(o.store.rateLimits, o.pageId, o.rates, o.sleep);
    this.windows = {
      text: new DispatchWindow(o.rates.text + o.rates.burst),
      media: new DispatchWindow(o.rates.media + o.rates.burst),
    };
  }

  /**
   * A token from the Page's bucket, then this process's moment to use it (DispatchWindow). 0 when
   * the call may go now; else the wait of a long pause for the caller to back off.
   */
  private async grant(lane: RateLane, priority: 'live' | 'bulk'): Promise<number> {
    const waited = await this.tokens.wait(lane, priority);
    if (waited !== 0) return waited;
    const ms = this.windows[lane].reserve() ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms)); // real time: this is about Meta's clock
    return 0;
  }

  /** Every kind is handled here by name: a kind added to the engine and not to this switch fails to compile. */
  async deliver(partition: number, entry: Delivery): Promise<Step> {
    const psid = psidOf(entry.userKey);
    const { effect } = entry;
    try {
      switch (effect.type) {
        case 'mark_seen':
          return await this.cosmetic(entry.userKey, psid, 'mark_seen');
        case 'typing': {
          if (this.typing.has(entry.userKey)) {
            await this.o.sleep(Math.min(effect.ms, this.o.maxTypingMs ?? 3000));
            return { type: 'done', outcome: 'sent' };
          }
          // Dropped under pressure, the pause goes too: the queue already delays the next message.
          const step = await this.cosmetic(entry.userKey, psid, 'typing_on');
          if (step.outcome === 'sent') await this.o.sleep(Math.min(effect.ms, this.o.maxTypingMs ?? 3000));
          return step;
        }
        case 'send': {
          const send = { ...entry, effect };
          if (isBroadcastDelivery(send))
            return await deliverBroadcast(this.o, partition, send, psid, () => this.grant(laneOf(effect.message), 'bulk'));
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
        case 'request':
          // The OutboxSender starts requests beside its rounds (FlowRequests); one reaching here has no requester.
          this.o.logger.warn({ partition, entryId: entry.id, request: effect.name }, 'flow request dropped: no requester');
          return { type: 'done', outcome: 'no_requester' };
        case 'classify_question':
          // Likewise (FlowRequests asks the language model); the text is never logged.
          this.o.logger.warn({ partition, entryId: entry.id }, 'question for the language model dropped: no requester');
          return { type: 'done', outcome: 'no_requester' };
        case 'webhook':
          return await this.webhook(partition, { ...entry, effect });
        case 'unmatched':
          // A text the bot did not understand, counted for the marketers (no user named); a store error is retried.
          if (!this.o.store.unmatched) return { type: 'done', outcome: 'not_counted' };
          await this.o.store.unmatched.count(effect.text, effect.outcome, this.o.now());
          return { type: 'done', outcome: 'counted' };
        case 'private_reply':
          return await deliverPrivateReply(this.o, { ...entry, effect }, () => this.grant('text', 'live'));
        case 'comment_reply':
          return await deliverCommentReply(this.o, { ...entry, effect });
        case 'comment_skipped':
          // A comment heard but not answered (too old, the person's daily cap, answered before): counted by its outcome.
          return { type: 'done', outcome: effect.reason };
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

  /**
   * Queues an outgoing webhook (durable, retried and signed by the webhook pump); the conversation
   * never waits for it. The entry's id makes a replay after a crash one job.
   */
  private async webhook(partition: number, entry: Delivery<'webhook'>): Promise<Step> {
    const enqueue = this.o.webhooks;
    if (!enqueue) {
      this.o.logger.warn({ partition, entryId: entry.id, webhook: entry.effect.name }, 'outgoing webhook dropped: no queue');
      return { type: 'done', outcome: 'no_webhook_queue' };
    }
    const { id, name, url, body } = entry.effect;
    // A digest, not the PSID: the job's id outlives the user's erasure in the queue's dedupe record.
    const jobId = createHash('sha256').update(`${entry.userKey}|${id}`).digest('hex').slice(0, 32);
    const outcome = await enqueue({ id: jobId, name, url, body: JSON.parse(body) as unknown });
    return { type: 'done', outcome: outcome.kind === 'refused' ? `webhook_${outcome.reason}` : `webhook_${outcome.kind}` };
  }

  /** A seen marker or typing indicator, if the Page has room for it now; dropped (and counted) if not. */
  private async cosmetic(userKey: string, psid: string, action: SenderAction): Promise<Step & { type: 'done' }> {
    if (!(await this.tokens.tryCosmetic('text'))) return { type: 'done', outcome: 'dropped_busy' };
    // Granted, but the calls leaving this process are at their bound: a cosmetic never waits for a moment.
    if (this.windows.text.reserve(0) === undefined) return { type: 'done', outcome: 'dropped_busy' };
    await this.o.graph.senderAction(psid, action);
    if (action === 'typing_on') {
      if (this.typing.size >= TYPING_MEMORY) this.typing.clear(); // only the users of the last moments matter
      this.typing.add(userKey);
    }
    return { type: 'done', outcome: 'sent' };
  }

  /**
   * How long a reply took, by stage, from the stream ids (their first part is the Redis server's
   * clock in ms: the inbox item's at ingress, the outbox entry's at the commit) to now.
   */
  private observeDelay(entry: Delivery<'send'>): void {
    const ingressAt = Number(entry.itemId.split('-', 1)[0]);
    const committedAt = Number(entry.id.split('-', 1)[0]);
    const now = Date.now();
    if (!(ingressAt > 0 && committedAt >= ingressAt && now >= committedAt)) return; // another clock (tests)
    this.o.metrics.replyDelay.observe({ stage: 'inbox' }, (committedAt - ingressAt) / 1000);
    this.o.metrics.replyDelay.observe({ stage: 'outbox' }, (now - committedAt) / 1000);
  }

  /** The recipient facts the policy needs: those the last commit wrote, else (older states) from the whole state. */
  private async factsOf(partition: number, userKey: string): Promise<SendFacts & { readonly unreachable: boolean }> {
    const row = await this.o.store.states.sendFacts(partition, userKey);
    const unreachable = row.delivery.unreachableAt !== undefined;
    const facts = decodeSendFacts(row.facts);
    if (facts) return { ...facts, unreachable };
    const stored = await this.o.store.states.load(partition, userKey);
    return { ...sendFactsOf(decodeUserState(stored.data)), unreachable };
  }

  private async send(partition: number, entry: Delivery<'send'>, psid: string): Promise<Step> {
    const { effect } = entry;
    const facts = await this.factsOf(partition, entry.userKey);
    const decision = decideSend(
      { messaging: effect.messaging, promotional: effect.promotional, byHumanAgent: effect.byHumanAgent },
      {
        lastInboundAt: facts.lastInboundAt,
        windowEndsAt: facts.windowEndsAt,
        // handing_over: the engine is already silent, so every send still queued was produced
        // before the handover; it goes out (the pass comes after it in this same outbox).
        botOwnsThread: facts.thread === 'bot' || facts.thread === 'handing_over',
        unreachable: facts.unreachable,
        // A flow's own send names no consent topic (broadcasts and sequence steps go through deliverBroadcast).
        consent: {},
        replyToInbound: effect.messaging === 'RESPONSE',
      },
      this.o.now(),
    );
    if (decision.type === 'refuse') {
      this.o.logger.info({ partition, entryId: entry.id, reason: decision.reason }, 'send refused by policy');
      return { type: 'done', outcome: `refused_${decision.reason}` };
    }
    const waited = await this.grant(laneOf(effect.message), effect.messaging === 'RESPONSE' ? 'live' : 'bulk');
    if (waited !== 0) return { type: 'retry', ms: waited, why: 'rate_limit' };
    const tag = decision.messagingType === 'MESSAGE_TAG' ? { tag: decision.tag } : {};
    await this.o.graph.sendMessage({
      recipient: { id: psid },
      messaging_type: decision.messagingType,
      ...tag,
      message: effect.message,
    });
    this.typing.delete(entry.userKey);
    this.rateLimited.count = 0;
    if (effect.messaging === 'RESPONSE') this.observeDelay(entry);
    return { type: 'done', outcome: 'sent' };
  }
}
