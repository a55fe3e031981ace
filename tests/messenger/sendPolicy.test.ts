import { decideSend, type OutgoingSend, type RecipientFacts } from '../../src/messenger/sendPolicy';
import { MESSAGING_WINDOW, TAG_RULES } from '../../src/platform/messagingRules';
import { MESSAGE_TAGS } from '../../src/platform/sendApiSchema';

/** A fake clock: the user writes at T0; every case states how long after that the send happens. */
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

const userWroteAt = (
  at: number,
  windowMs: number = MESSAGING_WINDOW.standardMs,
  over: Partial<RecipientFacts> = {},
): RecipientFacts => ({
  lastInboundAt: at,
  windowEndsAt: at + windowMs,
  botOwnsThread: true,
  unreachable: false,
  consent: {},
  replyToInbound: false,
  ...over,
});
const facts = (over: Partial<RecipientFacts> = {}) => userWroteAt(T0, MESSAGING_WINDOW.standardMs, over);

const promo: OutgoingSend = { messaging: 'UPDATE', promotional: true };
const reply: OutgoingSend = { messaging: 'RESPONSE', promotional: false };
const orderUpdate: OutgoingSend = { messaging: 'UPDATE', promotional: false, tag: 'POST_PURCHASE_UPDATE' };
const agentReply: OutgoingSend = { messaging: 'UPDATE', promotional: false, byHumanAgent: true };

describe('send policy', () => {
  describe('inside the window', () => {
    it('sends a proactive promotional message as UPDATE', () => {
      expect(decideSend(promo, facts(), T0 + 2 * HOUR)).toEqual({ type: 'send', messagingType: 'UPDATE' });
    });

    it('sends a reply to an inbound event as RESPONSE', () => {
      expect(decideSend(reply, facts({ replyToInbound: true }), T0 + 1000)).toEqual({ type: 'send', messagingType: 'RESPONSE' });
    });

    it('sends an engine RESPONSE that answers no inbound event (a timer, a resume) as UPDATE', () => {
      expect(decideSend(reply, facts({ replyToInbound: false }), T0 + 1000)).toEqual({ type: 'send', messagingType: 'UPDATE' });
    });

    it('does not spend a tag while the window is open', () => {
      expect(decideSend(orderUpdate, facts(), T0 + HOUR)).toEqual({ type: 'send', messagingType: 'UPDATE' });
    });

    it('closes exactly at windowEndsAt', () => {
      expect(decideSend(promo, facts(), T0 + DAY - 1)).toEqual({ type: 'send', messagingType: 'UPDATE' });
      expect(decideSend(promo, facts(), T0 + DAY)).toEqual({ type: 'refuse', reason: 'outside_window_promotional' });
    });
  });

  describe('outside the window', () => {
    const later = T0 + 25 * HOUR;

    it('refuses promotional content with its reason', () => {
      expect(decideSend(promo, facts(), later)).toEqual({ type: 'refuse', reason: 'outside_window_promotional' });
    });

    it('sends a non-promotional POST_PURCHASE_UPDATE as MESSAGE_TAG with the tag', () => {
      expect(decideSend(orderUpdate, facts(), later)).toEqual({
        type: 'send',
        messagingType: 'MESSAGE_TAG',
        tag: 'POST_PURCHASE_UPDATE',
      });
    });

    it('refuses non-promotional content without a tag', () => {
      expect(decideSend({ messaging: 'UPDATE', promotional: false }, facts(), later)).toEqual({
        type: 'refuse',
        reason: 'outside_window_no_tag',
      });
    });

    it('treats a user who never wrote as outside the window', () => {
      const never = facts({ lastInboundAt: null, windowEndsAt: null });
      expect(decideSend(promo, never, T0)).toEqual({ type: 'refuse', reason: 'outside_window_promotional' });
      expect(decideSend(agentReply, never, T0)).toEqual({ type: 'refuse', reason: 'human_agent_expired' });
    });

    it('falls back to 24 h after the last action when windowEndsAt is missing', () => {
      const old = facts({ windowEndsAt: null });
      expect(decideSend(promo, old, T0 + 23 * HOUR)).toEqual({ type: 'send', messagingType: 'UPDATE' });
      expect(decideSend(promo, old, later)).toEqual({ type: 'refuse', reason: 'outside_window_promotional' });
    });
  });

  it('never puts a tag on promotional content, inside the window or out', () => {
    const taggedPromo: OutgoingSend = { ...promo, tag: 'CONFIRMED_EVENT_UPDATE' };
    expect(decideSend(taggedPromo, facts(), T0 + HOUR)).toEqual({ type: 'refuse', reason: 'promotional_tag' });
    expect(decideSend(taggedPromo, facts(), T0 + 25 * HOUR)).toEqual({ type: 'refuse', reason: 'promotional_tag' });
  });

  describe('after a click-to-Messenger ad referral (7-day window)', () => {
    const afterAd = userWroteAt(T0, MESSAGING_WINDOW.adReferralMs);

    it('allows a promotional UPDATE 6 days later', () => {
      expect(decideSend(promo, afterAd, T0 + 6 * DAY)).toEqual({ type: 'send', messagingType: 'UPDATE' });
    });

    it('refuses it 8 days later', () => {
      expect(decideSend(promo, afterAd, T0 + 8 * DAY)).toEqual({ type: 'refuse', reason: 'outside_window_promotional' });
    });
  });

  describe('human agents', () => {
    it("sends a person's reply at 30 h with HUMAN_AGENT", () => {
      expect(decideSend(agentReply, facts({ botOwnsThread: false }), T0 + 30 * HOUR)).toEqual({
        type: 'send',
        messagingType: 'MESSAGE_TAG',
        tag: 'HUMAN_AGENT',
      });
      const explicit: OutgoingSend = { ...agentReply, tag: 'HUMAN_AGENT' };
      expect(decideSend(explicit, facts({ botOwnsThread: false }), T0 + 30 * HOUR)).toEqual({
        type: 'send',
        messagingType: 'MESSAGE_TAG',
        tag: 'HUMAN_AGENT',
      });
    });

    it("refuses it 8 days after the user's last message", () => {
      expect(decideSend(agentReply, facts({ botOwnsThread: false }), T0 + 8 * DAY)).toEqual({
        type: 'refuse',
        reason: 'human_agent_expired',
      });
    });

    it("sends a person's reply inside the window without a tag", () => {
      expect(decideSend(agentReply, facts({ botOwnsThread: false }), T0 + HOUR)).toEqual({
        type: 'send',
        messagingType: 'UPDATE',
      });
    });

    it("refuses a person's promotional reply outside the window", () => {
      expect(decideSend({ ...agentReply, promotional: true }, facts({ botOwnsThread: false }), T0 + 30 * HOUR)).toEqual({
        type: 'refuse',
        reason: 'outside_window_promotional',
      });
    });

    it('does not let automation use HUMAN_AGENT', () => {
      const botWithHumanTag: OutgoingSend = { messaging: 'UPDATE', promotional: false, tag: 'HUMAN_AGENT' };
      expect(decideSend(botWithHumanTag, facts(), T0 + 30 * HOUR)).toEqual({ type: 'refuse', reason: 'tag_not_allowed' });
    });
  });

  describe('thread owner, reachability and consent', () => {
    it('sends the bot nothing while a person owns the thread or the bot is paused', () => {
      expect(decideSend(reply, facts({ botOwnsThread: false, replyToInbound: true }), T0 + 1000)).toEqual({
        type: 'refuse',
        reason: 'human_owns_thread',
      });
      expect(decideSend(orderUpdate, facts({ botOwnsThread: false }), T0 + 30 * HOUR)).toEqual({
        type: 'refuse',
        reason: 'human_owns_thread',
      });
    });

    it("sends nothing to an unreachable user, not even a person's reply", () => {
      expect(decideSend(reply, facts({ unreachable: true, replyToInbound: true }), T0 + 1000)).toEqual({
        type: 'refuse',
        reason: 'unreachable',
      });
      expect(decideSend(agentReply, facts({ unreachable: true, botOwnsThread: false }), T0 + 1000)).toEqual({
        type: 'refuse',
        reason: 'unreachable',
      });
    });

    it('sends nothing on a topic the user opted out of (or never subscribed to)', () => {
      const offers: OutgoingSend = { ...promo, topic: 'offers' };
      const optedOut = facts({ consent: { offers: { subscribed: false } } });
      expect(decideSend(offers, optedOut, T0 + HOUR)).toEqual({ type: 'refuse', reason: 'opted_out' });
      expect(decideSend(offers, facts(), T0 + HOUR)).toEqual({ type: 'refuse', reason: 'opted_out' });
      const subscribed = facts({ consent: { offers: { subscribed: true }, news: { subscribed: false } } });
      expect(decideSend(offers, subscribed, T0 + HOUR)).toEqual({ type: 'send', messagingType: 'UPDATE' });
    });
  });

  it('has a rule for every Messenger tag', () => {
    expect(Object.keys(TAG_RULES).sort()).toEqual([...MESSAGE_TAGS].sort());
  });
});
