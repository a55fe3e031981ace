import type { Settings } from './flowSchema';
import type { ThreadEvent } from './engineEvent';
import { clip } from '../platform/sendApiSchema';
import { MESSAGING_WINDOW } from '../platform/messagingRules';
import { silentStop } from './consentEvents';
import { isAdReferral } from './engineEvent';
import { recordReferral } from './referrals';
import { resumeConversation } from './resume';
import { armHandoverTimer, fillText, logThread, moveThread, openWindow, send, type Run } from './run';
import type { UserState } from './userState';

/**
 * The handover state machine's events: who owns the thread, as Meta, the sender, the admin API and
 * the timers tell it. Part of the pure engine (called from transition); no flow runs here.
 */

/** What a person sees of the conversation while they own it. */
const TRANSCRIPT_SIZE = 50;
/**
 * While the bot owns the thread only the last few lines are kept: enough context for a person
 * taking over (and the agents' notice), without every message of every customer making each
 * state write heavier (it is rewritten on every event) or keeping texts nobody reads.
 */
const CONTEXT_SIZE = 5;

export function remember(run: Run, from: 'user' | 'agent', text: string): void {
  const size = run.state.thread === 'bot' ? CONTEXT_SIZE : TRANSCRIPT_SIZE;
  if (text) run.state.transcript = [...run.state.transcript, { at: run.now, from, text }].slice(-size);
}

/**
 * Who owns the thread, as Meta and the people in the Page Inbox tell us. No flow runs here: while a
 * person owns the thread the bot records and stays silent; when control comes back it says so.
 */
export function onThreadEvent(run: Run, e: ThreadEvent): void {
  const { state } = run;
  switch (e.type) {
    case 'standby_message':
      // The customer wrote while another app owns the thread: keep the window, the transcript and
      // where they came from (an m.me link or an ad opened while a person had the thread).
      if (e.referral) recordReferral(run, e.referral, e.sentAt);
      openWindow(run, isAdReferral(e.referral) ? MESSAGING_WINDOW.adReferralMs : MESSAGING_WINDOW.standardMs, e.sentAt);
      remember(run, 'user', e.text);
      silentStop(run, e.text);
      // On standby while we think the bot owns the thread: someone else has it (a routing page, a
      // missed take), unless it is late news, written before we got the thread back.
      if (state.thread === 'handing_over' || (state.thread === 'bot' && !lateNews(state, e.sentAt)))
        moveThread(run, 'human', 'standby_message');
      else if (state.thread === 'human') armHandoverTimer(run); // the conversation is alive: postpone
      return;
    case 'agent_message':
      remember(run, 'agent', e.text);
      // A person typed in the Page Inbox without a handover: the bot steps back so the two never talk over each other.
      if (state.thread === 'bot' && run.flows.settings.pause_on_agent_reply) moveThread(run, 'paused', 'agent_replied');
      else if (state.thread === 'handing_over') moveThread(run, 'human', 'agent_replied');
      else if (state.thread === 'human') armHandoverTimer(run);
      state.pending = null; // a person spoke: the bot's question is stale even if the bot keeps the thread
      return;
    case 'control_taken':
      moveThread(run, 'human', 'control_taken');
      return;
    case 'control_requested':
      // By default grant only while the bot is idle in its flow: never in the middle of a question.
      if (state.thread !== 'bot' || !e.appId || !grants(run.flows.settings.handover.grant_requests, state)) {
        logThread(run, `request_refused:${e.appId}`, state.thread);
        return;
      }
      run.effects.push({
        type: 'handover',
        reason: 'requested_by_app',
        targetAppId: e.appId,
        metadata: { reason: 'requested_by_app', flow: state.position?.flow ?? null, node: state.position?.node ?? null },
      });
      moveThread(run, 'human', `granted_request:${e.appId}`);
      return;
    case 'handover_result':
      if (e.outcome === 'taken' || e.outcome === 'take_failed') {
        // From now on a standby message is news again (someone else took the thread).
        if (state.takePending) Object.assign(state, { takePending: false, controlSince: e.at });
        return;
      }
      if (state.thread !== 'handing_over') return;
      if (e.outcome === 'passed') return moveThread(run, 'human', 'passed_to_inbox');
      // Conversation Routing page: no handover API. The bot pauses itself (same silence); the
      // people were already notified when the customer asked, so they answer in the Page Inbox.
      moveThread(run, 'paused', 'handover_disabled');
      return;
    case 'admin_pause':
      moveThread(run, 'paused', 'admin_pause');
      return;
    case 'agent_reply':
      remember(run, 'agent', e.text);
      // A person answering through the admin API takes the conversation, like one in the Page Inbox.
      if (state.thread === 'bot' && run.flows.settings.pause_on_agent_reply) moveThread(run, 'paused', 'agent_replied');
      run.effects.push({
        type: 'send',
        message: { text: clip(e.text) },
        messaging: 'UPDATE',
        promotional: false,
        byHumanAgent: true,
      });
      return;
    case 'timer':
      // Only the timer armed last counts, and only while a person still owns the thread.
      if (
        e.timer !== 'handover_timeout' ||
        state.timer?.id !== e.id ||
        (state.thread !== 'human' && state.thread !== 'handing_over')
      )
        return;
      takeBack(run, 'inactivity_timeout');
      return welcomeBack(run, 'inactivity_timeout');
    case 'staff_notice':
      // Not the staff member's own action (no window change). Silent while their own thread is
      // with a person, like any other send; the send policy drops it outside their 24 h window.
      if (state.thread === 'bot') send(run, { text: clip(e.text) }, false, 'UPDATE');
      return;
    case 'admin_resume':
      // From a person (not from a pause) the bot must ask Meta for the thread first.
      if (state.thread === 'human' || state.thread === 'handing_over') takeBack(run, 'admin_resume');
      if (state.thread !== 'bot') welcomeBack(run, e.type);
      return;
    case 'control_returned':
      Object.assign(state, { takePending: false, controlSince: e.at });
      if (state.thread !== 'bot') welcomeBack(run, e.type);
      return;
  }
}

const grants = (policy: Settings['handover']['grant_requests'], state: UserState): boolean =>
  policy === 'always' || (policy === 'when_idle' && state.pending === null);

/** Asks Meta for the thread back; the sender reports when that is done (handover_result). */
function takeBack(run: Run, reason: string): void {
  run.effects.push({ type: 'handover', take: true, reason, metadata: { reason } });
  run.state.takePending = true;
}

/** A standby message written before the thread came back to us (or while our take is under way). */
const lateNews = (state: UserState, sentAt: number): boolean =>
  state.takePending || (state.controlSince !== null && sentAt <= state.controlSince);

/** The bot owns the thread again: say so (automated), then continue (resume_at, or the default flow's entry). */
function welcomeBack(run: Run, cause: string): void {
  const { state } = run;
  moveThread(run, 'bot', cause);
  state.misses = 0;
  // The user did not just write: the welcome-back and whatever resume_at's node says are UPDATEs.
  run.messaging = 'UPDATE';
  // The welcome-back says the bot is automated (docs/flows.md): it counts as the disclosure.
  if (send(run, { text: fillText(run, run.flows.settings.messages.welcome_back) })) state.disclosedAt = run.now;
  resumeConversation(run);
}
