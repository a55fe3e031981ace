import { PAGE_INBOX_APP_ID } from '../platform/messagingRules';
import { decodeUserState } from '../engine/userState';
import { classifyGraphError } from '../messenger/graphErrors';
import { internalEvent } from '../store/messengerEvent';
import { staffNoticeText, type AgentNotice } from './notifyAgents';
import type { Delivery, SenderOptions, Step } from './senderOptions';
import { partitionOf } from '../store/partitionOf';
import { isStoreUnavailable, storeBackoffMs } from './storeRetry';

/**
 * The sender's effects about who owns the thread (pass, take, timers) and who is told (notices).
 * Each outcome the user's state must learn goes back through the user's own inbox lane.
 */

/** One timer of each name per user. */
export const timerSlot = (userKey: string, timer: string): string => `${userKey}|${timer}`;

/**
 * Passes the thread to the Page Inbox and tells the user's state how it went, through the
 * user's own inbox partition (so it is ordered with everything else the user does). A page on
 * Conversation Routing answers "Handover Protocol APIs disabled": reported once, never retried.
 */
export async function handOver(o: SenderOptions, partition: number, entry: Delivery<'handover'>, psid: string): Promise<Step> {
  let outcome: 'passed' | 'handover_disabled';
  try {
    const { targetAppId, metadata } = entry.effect;
    await o.graph.passThreadControl(psid, targetAppId || PAGE_INBOX_APP_ID, JSON.stringify(metadata).slice(0, 1000));
    outcome = 'passed';
  } catch (err) {
    if (classifyGraphError(err) !== 'handover_disabled') throw err;
    outcome = 'handover_disabled';
  }
  await report(o, partition, entry, psid, outcome);
  return { type: 'done', outcome };
}

/**
 * Takes the thread back (inactivity timeout, admin resume) and reports when it was done: until
 * then the customer's messages still arrive on standby and must not read as a person taking
 * over. A refusal that retrying cannot fix (the thread was already ours, a routing page) is
 * reported too, so the state never waits forever.
 */
export async function takeBack(o: SenderOptions, partition: number, entry: Delivery<'handover'>, psid: string): Promise<Step> {
  let outcome: 'taken' | 'take_failed';
  try {
    await o.graph.takeThreadControl(psid, JSON.stringify(entry.effect.metadata).slice(0, 1000));
    outcome = 'taken';
  } catch (err) {
    const kind = classifyGraphError(err);
    if (kind === 'retryable' || kind === 'rate_limited' || kind === 'auth') throw err; // retried by onError
    o.logger.warn({ partition, entryId: entry.id, class: kind }, 'take_thread_control refused; the bot continues as owner');
    outcome = 'take_failed';
  }
  await report(o, partition, entry, psid, outcome);
  return { type: 'done', outcome };
}

/** Store attempts for a report whose Graph call already happened (about 10 s of backoff in all). */
const REPORT_ATTEMPTS = 8;

/**
 * Tells the user's state how a thread-control call went, through the user's own inbox lane. The
 * call is done by now: a store hiccup retries the report alone (the entry as a whole would make
 * the call again, and Meta may refuse a second pass); only a longer outage gives the entry back.
 */
async function report(o: SenderOptions, partition: number, entry: Delivery, psid: string, outcome: string): Promise<void> {
  const dedupeKey = `handover:${entry.id}`; // a replay after a crash reports once
  const at = o.now();
  const event = internalEvent('handover_result', o.pageId, psid, at, dedupeKey, { outcome });
  for (let attempt = 1; ; attempt++) {
    try {
      await o.store.inbox.append([{ partition, dedupeKey, record: { source: 'sender', event } }]);
      return;
    } catch (err) {
      if (!isStoreUnavailable(err) || attempt >= REPORT_ATTEMPTS) throw err;
      o.metrics.storeRetries.inc({ operation: 'handover report' });
      await o.sleep(storeBackoffMs(attempt));
    }
  }
}

/**
 * Tells the people: the webhook in the background (never blocks this partition), and each staff
 * PSID through their own inbox lane, so the Messenger notice is durable, ordered and sent under
 * the same rules as any message (their thread must be with the bot and inside their 24 h window).
 */
export async function notifyStaff(o: SenderOptions, partition: number, entry: Delivery<'notify'>, psid: string): Promise<Step> {
  const staff = (o.staffPsids ?? []).filter((s) => s !== psid);
  if (!o.notify && staff.length === 0) return { type: 'done', outcome: 'no_notifier' };
  const notice = await noticeFor(o, partition, entry, psid);
  o.notify?.(notice);
  const at = o.now();
  const text = staffNoticeText(notice);
  await o.store.inbox.append(
    staff.map((to) => {
      const dedupeKey = `notice:${entry.id}:${to}`; // a replay after a crash notifies once
      const event = internalEvent('admin_command', o.pageId, to, at, dedupeKey, { command: 'notice', text });
      return { partition: partitionOf(o.pageId, to, o.partitions), dedupeKey, record: { source: 'sender' as const, event } };
    }),
  );
  return { type: 'done', outcome: 'notified' };
}

async function noticeFor(o: SenderOptions, partition: number, entry: Delivery<'notify'>, psid: string): Promise<AgentNotice> {
  const state = decodeUserState((await o.store.states.load(partition, entry.userKey)).data);
  const lastMessages = state.transcript.slice(-5).map((t) => ({ from: t.from, text: t.text }));
  return { psid, reason: entry.effect.reason, text: entry.effect.text, lastMessages };
}

/**
 * Arms the user's timer of that name (replacing the one armed before, so a postponed timeout
 * leaves nothing behind); when due it returns through the user's inbox. Effects of one
 * partition run in commit order, so the last arm or cancel the engine made is the one that holds.
 */
export async function schedule(o: SenderOptions, partition: number, entry: Delivery<'schedule'>, psid: string): Promise<void> {
  const { timer, id, at } = entry.effect;
  await armTimer(o, partition, entry.userKey, psid, { timer, id, at });
}

/** Arms a per-user timer (slot `<user key>|<timer>`): the handover timeout, a sequence's step. */
export async function armTimer(
  o: SenderOptions,
  partition: number,
  userKey: string,
  psid: string,
  t: { readonly timer: string; readonly id: string; readonly at: number },
): Promise<void> {
  const event = internalEvent('timer_fired', o.pageId, psid, t.at, `timer:${t.id}`, { timer: t.timer, id: t.id });
  await o.store.timers.set(partition, timerSlot(userKey, t.timer), t.at, { source: 'timer', event });
}
