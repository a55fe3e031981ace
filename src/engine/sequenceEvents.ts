import { DAY_MS, HOUR_MS } from '../platform/messagingRules';
import { count, noteProactive, policySkip, queueProactive, remember } from './broadcastEvents';
import type { BroadcastSend } from './broadcastSend';
import { isTimeZone, nextInWindow, offsetZone } from './businessHours';
import type { Run } from './run';
import type { Sequence, SequenceStep } from './sequenceSchema';

/*
 * Drip sequences in the user's lane. A running sequence keeps, in the user's state, the step due
 * next and the id of the timer armed for it; the timer (a per-user timer slot, like the handover
 * timeout) brings the step back through the user's inbox lane when due, and only the timer armed
 * last counts, so a step is decided once even when its timer fires twice. Each step passes the
 * policy at that moment (consent, window, thread owner, caps) and is sent or skipped with a
 * reason; the sequence goes on either way. Part of the pure engine.
 */

/** The timer name of a sequence (its per-user slot): `sequence:<id>`. */
export const SEQUENCE_TIMER_PREFIX = 'sequence:';
export const sequenceTimer = (id: string): string => `${SEQUENCE_TIMER_PREFIX}${id}`;
/** While a person has the conversation a due step waits, looking again this often... */
export const HELD_RETRY_MS = HOUR_MS;
/** ...and is skipped (human_owns_thread) once it is this late: news a day old is rarely news. */
export const HELD_GRACE_MS = DAY_MS;

/** A step's counters live under `seq.<sequence>.<step>` (a `.` is never in a broadcast id). */
export const stepStatId = (sequence: string, step: string): string => `seq.${sequence}.${step}`;

/**
 * The user's zone for send windows: an IANA name they gave (field `timezone`), else the Page's
 * (settings), else the profile's whole-hour UTC offset (no DST), else UTC.
 */
export function userZone(run: Run): string {
  const given = run.state.fields.timezone;
  if (typeof given === 'string' && isTimeZone(given)) return given;
  if (run.flows.settings.timezone) return run.flows.settings.timezone;
  const offset = run.state.profile?.ok ? run.state.profile.timezone : undefined;
  return (offset === undefined ? undefined : offsetZone(offset)) ?? 'UTC';
}

/** When step `index` is due: its delay from the subscription or from `previous`, never before now, moved into its window. */
function dueAt(run: Run, step: SequenceStep, startedAt: number, previous: number): number {
  const raw = Math.max((step.from === 'subscription' ? startedAt : previous) + step.delay, run.now);
  return step.window ? nextInWindow(raw, userZone(run), step.window) : raw;
}

/** Arms the timer for step `index` of a running sequence, or ends the sequence after its last step. */
function armStep(run: Run, def: Sequence, index: number, startedAt: number, previous: number): void {
  const step = def.steps[index];
  if (!step) {
    delete run.state.sequences[def.id];
    run.effects.push({ type: 'sequence', action: 'stop', sequence: def.id });
    return;
  }
  const at = dueAt(run, step, startedAt, previous);
  const timer = `sq-${run.now}-${index}-${run.state.inbound}`;
  run.state.sequences[def.id] = { startedAt, next: index, stepId: step.id, dueAt: at, timer, prevAt: previous };
  run.effects.push({ type: 'sequence_timer', sequence: def.id, id: timer, at });
}

/** start_sequence (a flow action, the admin API): starts it unless it is running already (subscribing twice changes nothing). */
export function startSequence(run: Run, id: string): void {
  if (run.state.sequences[id]) return;
  const def = run.flows.sequences.get(id);
  run.effects.push({ type: 'sequence', action: 'start', sequence: id });
  if (!def) {
    // The linter refuses a name no file defines; a file removed since is a sequence that ended.
    run.effects.push({ type: 'warning', code: 'missing_node', detail: `no sequence ${id}` });
    return;
  }
  armStep(run, def, 0, run.now, run.now);
}

/** The step as a proactive send: the sequence's topic, the step's kind and content, the settings' caps. */
function stepSend(run: Run, def: Sequence, step: SequenceStep): BroadcastSend {
  const caps = run.flows.settings.proactive_caps;
  const [flow, node] = step.start?.split('/') ?? [];
  return {
    id: stepStatId(def.id, step.id),
    kind: step.kind,
    ...(step.tag ? { tag: step.tag } : {}),
    topic: def.topic,
    ...(step.messages ? { messages: step.messages } : {}),
    ...(flow && node ? { start: { flow, node } } : {}),
    caps: {
      ...(caps.per_day === undefined ? {} : { perDay: caps.per_day }),
      ...(caps.per_week === undefined ? {} : { perWeek: caps.per_week }),
    },
  };
}

/** A sequence's timer came due: decide its step now, then arm the next one. A stale timer does nothing. */
export function onSequenceTimer(run: Run, sequence: string, timer: string): void {
  const running = run.state.sequences[sequence];
  if (!running || running.timer !== timer) return;
  const def = run.flows.sequences.get(sequence);
  if (!def) {
    delete run.state.sequences[sequence]; // the file was removed: the sequence ended
    run.effects.push({ type: 'sequence', action: 'stop', sequence });
    return;
  }
  // An edit applies to steps not yet sent: the step is found by its id. One that was removed is
  // skipped: the step now at its place is armed for its own time, counted from the same previous step.
  const byId = def.steps.findIndex((s) => s.id === running.stepId);
  if (byId < 0) return armStep(run, def, running.next ?? 0, running.startedAt, running.prevAt ?? running.startedAt);
  const index = byId;
  const step = def.steps[index] as SequenceStep;
  if (run.state.thread !== 'bot' && run.now - (running.dueAt ?? run.now) < HELD_GRACE_MS) {
    // With a person: wait for the bot to have the thread back (looked at hourly), up to a day.
    const retry = `${timer}-h${run.now}`;
    run.state.sequences[sequence] = { ...running, timer: retry };
    run.effects.push({ type: 'sequence_timer', sequence, id: retry, at: run.now + HELD_RETRY_MS });
    return;
  }
  const send = stepSend(run, def, step);
  count(run, send.id, 'targeted');
  const reason = policySkip(run, send);
  if (reason !== undefined) count(run, send.id, `skipped:${reason}`);
  else {
    const payloads = queueProactive(run, send, false, 'sequence');
    noteProactive(run);
    count(run, send.id, 'queued');
    // Kept with the broadcasts the user got, so receipts, taps and replies count for the step too.
    remember(run, {
      id: send.id,
      at: run.now,
      outcome: 'queued',
      payloads: [...new Set(payloads)],
      delivered: false,
      read: false,
      clicked: false,
      replied: false,
    });
  }
  // The step is spent either way: the sequence goes on.
  armStep(run, def, index + 1, running.startedAt, run.now);
}
