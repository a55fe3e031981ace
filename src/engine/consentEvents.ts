import { LIMITS, type SendQuickReply } from '../platform/sendApiSchema';
import type { EngineEvent, MarketingOptin } from './engineEvent';
import { matchesKeyword, said } from './normalize';
import { resubscribePayload, resubscribeTopicOf, START_DECLINED_PAYLOAD } from './payloads';
import { fillText, send, setConsent, stopSequence, type Run } from './run';

/**
 * Consent as the customer, Meta and the admin API change it: the STOP and START keywords, START's
 * question, Meta's Marketing Messages opt-in webhooks and admin consent commands. Every change
 * goes through setConsent, so it is in the ledger with its source and cause.
 */

/** Topics START offers at most (13 quick replies, one of them "no thanks"). */
const START_TOPICS_MAX = LIMITS.quickReplies - 1;

/**
 * STOP withdraws every topic the user is subscribed to and every running sequence, and says so.
 * A user who never gave or refused consent to `settings.topic` has that refusal recorded too, so a
 * first STOP is always confirmed. When nothing is left to withdraw (a second STOP) the user gets
 * `messages.already_stopped` instead (nothing when it is empty), never the confirmation again.
 */
export function onStop(run: Run): void {
  const { messages } = run.flows.settings;
  run.state.pending = null;
  if (withdrawAll(run)) send(run, { text: fillText(run, messages.stopped) });
  else if (messages.already_stopped.trim() !== '') send(run, { text: fillText(run, messages.already_stopped) });
}

/** Withdraws every topic and running sequence (see onStop); false when there was nothing to withdraw. */
function withdrawAll(run: Run): boolean {
  const { state, flows } = run;
  const topics = Object.entries(state.consent)
    .filter(([, c]) => c.subscribed)
    .map(([t]) => t);
  if (state.consent[flows.settings.topic] === undefined) topics.push(flows.settings.topic);
  const sequences = Object.keys(state.sequences);
  for (const t of topics) setConsent(run, t, false, 'keyword:stop');
  // (A withdrawn topic already ended the sequences that need it.)
  for (const s of sequences) if (s in state.sequences) stopSequence(run, s);
  return topics.length > 0 || sequences.length > 0;
}

/**
 * STOP written while a person owns the thread (or the bot is paused): the bot may not speak, but
 * the withdrawal counts all the same; the person sees the message in the transcript.
 */
export function silentStop(run: Run, text: string): void {
  const s = said(text);
  if (run.flows.settings.keywords.stop.some((k) => matchesKeyword(s, k, 'exact'))) withdrawAll(run);
}

/**
 * START restores nothing by itself: it asks which topics to get again (those the user withdrew,
 * most recent first; `settings.topic` when they withdrew none), with a "no thanks". A user
 * already subscribed to everything offered is told so.
 */
export function onStart(run: Run): void {
  const { state, flows } = run;
  const { messages, topic, topic_titles } = flows.settings;
  const withdrawn = Object.entries(state.consent)
    .filter(([, c]) => !c.subscribed)
    .sort((a, b) => b[1].at - a[1].at)
    .map(([t]) => t);
  const offered = withdrawn.length > 0 ? withdrawn : state.consent[topic]?.subscribed ? [] : [topic];
  if (offered.length === 0) return void send(run, { text: fillText(run, messages.started, { topic }) });
  const quick_replies: SendQuickReply[] = offered
    .filter((t) => resubscribePayload(t).length <= LIMITS.payload)
    .slice(0, START_TOPICS_MAX)
    .map((t) => ({ content_type: 'text', title: titleOf(topic_titles[t] ?? t), payload: resubscribePayload(t) }));
  quick_replies.push({ content_type: 'text', title: titleOf(messages.start_no_thanks), payload: START_DECLINED_PAYLOAD });
  send(run, { text: fillText(run, messages.start_ask), quick_replies });
}

/** A quick reply's title: Messenger refuses more than 20 characters (the linter warns about long ones first). */
const titleOf = (title: string): string => Array.from(title).slice(0, LIMITS.quickReplyTitle).join('') || '…';

/** A tap on START's question: subscribes to that topic, or changes nothing. False for any other payload. */
export function onStartAnswer(run: Run, payload: string): boolean {
  const { messages } = run.flows.settings;
  if (payload === START_DECLINED_PAYLOAD) {
    if (messages.start_declined.trim() !== '') send(run, { text: fillText(run, messages.start_declined) });
    return true;
  }
  const topic = resubscribeTopicOf(payload);
  if (topic === undefined) return false;
  setConsent(run, topic, true, 'keyword:start');
  send(run, { text: fillText(run, messages.started, { topic }) });
  return true;
}

/**
 * Meta's Marketing Messages opt-in webhook. An opt-in (or a resume) keeps the token with its
 * expiry and subscribes the user to the topic; a stop marks the token stopped and unsubscribes.
 * The topic is the opt-in's payload (else title); a stop or resume naming neither is matched by
 * its token; `settings.topic` is the last resort.
 */
export function onMarketingOptin(run: Run, m: MarketingOptin): void {
  const { state } = run;
  const byToken = m.token ? Object.entries(state.marketingTokens).find(([, t]) => t.token === m.token)?.[0] : undefined;
  const topic = (m.status === 'optin' ? m.topic || byToken : byToken || m.topic) || run.flows.settings.topic;
  const known = state.marketingTokens[topic];
  const token = m.token ?? known?.token;
  if (token !== undefined) {
    state.marketingTokens[topic] = {
      token,
      // A stop or resume of the same token rarely repeats its expiry: keep the one we know.
      expiresAt: m.expiresAt ?? (known?.token === token ? known.expiresAt : null),
      status: m.status === 'stop' ? 'stopped' : 'active',
      at: run.now,
    };
  }
  if (m.status === 'stop') setConsent(run, topic, false, 'messenger:optout');
  // A synced subscriber is news only for a topic the ledger knows nothing of.
  else if (m.synced === true) {
    if (state.consent[topic] === undefined) setConsent(run, topic, true, 'messenger:sync');
  } else setConsent(run, topic, true, 'messenger:optin');
}

/** A consent change from the admin API, as the named token asked. Nothing is said to the user. */
export function onAdminConsent(run: Run, e: Extract<EngineEvent, { type: 'admin_consent' }>): void {
  setConsent(run, e.topic, e.subscribed, `admin:${e.by}`);
}
