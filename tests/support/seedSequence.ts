import { sequenceTimer } from '../../src/engine/sequenceEvents';
import type { UserState } from '../../src/engine/userState';
import { timerSlot } from '../../src/runtime/threadEffects';
import { internalEvent } from '../../src/store/messengerEvent';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import type { InboxRecord, Store } from '../../src/store/ports';
import { dripFlowsDir } from './dripFlowsDir';
import { seedSubscribers, subscriberState } from './seedSubscribers';

/**
 * Seeds many subscribers whose drip sequence has its next step falling due at one moment, without
 * webhooks: each state (consent to the topic, window open, the running sequence with the id of the
 * timer armed for its step) is committed through the StateStore port, and each timer is set through
 * the TimerStore port with the record the sender's armTimer builds, so the service that starts
 * afterwards cannot tell them from users who subscribed through the flow.
 */

export const SEQ_ID = 'burst-drip';
export const SEQ_TOPIC = 'tips';
export const SEQ_STEP = 's0';

/**
 * A temporary FLOWS_DIR: a flow that subscribes to the topic and starts the sequence (so the
 * linter finds both used), and the sequence: the promotional step `s0` with `text`, then `s1` 4 h
 * later (still inside the window), which each user's decided s0 arms: the real per-user cost.
 */
export function writeSequenceFlows(text: string): string {
  return dripFlowsDir({
    prefix: 'talkshop-seqburst-',
    startsSequence: true,
    sequenceId: SEQ_ID,
    sequenceName: 'Burst drip',
    topic: SEQ_TOPIC,
    steps: [
      `{ id: ${SEQ_STEP}, delay: 0m, kind: promotional, messages: [{ text: ${JSON.stringify(text)} }] }`,
      '{ id: s1, delay: 4h, kind: promotional, messages: [{ text: "The second step" }] }',
    ],
  });
}

/** The id of the timer armed for step 0 (the form the engine's armStep gives it: subscription time, step, inbound count). */
const timerIdOf = (startedAt: number) => `sq-${startedAt}-0-1`;

/** A subscriber who subscribed an hour before `now` and whose step 0 is armed for `dueAt`. */
export function sequenceState(psid: string, now: number, dueAt: number): UserState {
  const base = subscriberState(psid, now, SEQ_TOPIC);
  const startedAt = base.lastInboundAt ?? now;
  return {
    ...base,
    sequences: {
      [SEQ_ID]: { startedAt, next: 0, stepId: SEQ_STEP, dueAt, timer: timerIdOf(startedAt), prevAt: startedAt },
    },
  };
}

/** The record the sender's armTimer sets for that step (src/runtime/threadEffects.ts). */
function timerRecord(pageId: string, psid: string, id: string, dueAt: number): InboxRecord {
  const timer = sequenceTimer(SEQ_ID);
  return { source: 'timer', event: internalEvent('timer_fired', pageId, psid, dueAt, `timer:${id}`, { timer, id }) };
}

export interface SeedSequenceOptions {
  readonly store: Store;
  readonly pageId: string;
  readonly partitions: number;
  readonly psids: readonly string[];
  /** The clock the service runs on: windows are open from here for most of a day. */
  readonly now: number;
  /** When every user's step falls due. */
  readonly dueAt: number;
  /** Timers set at once. */
  readonly concurrency?: number;
}

/** Commits every state (under each partition's lease: before any worker runs), then arms every timer. */
export async function seedSequence(o: SeedSequenceOptions): Promise<{ readonly users: number; readonly ms: number }> {
  const started = Date.now();
  await seedSubscribers({ ...o, topic: SEQ_TOPIC, state: (psid) => sequenceState(psid, o.now, o.dueAt) });
  const chunk = o.concurrency ?? 500;
  for (let i = 0; i < o.psids.length; i += chunk)
    await Promise.all(
      o.psids.slice(i, i + chunk).map((psid) => {
        const id = sequenceState(psid, o.now, o.dueAt).sequences[SEQ_ID]?.timer;
        if (id === undefined) throw new Error('seedSequence: the seeded state has no timer id');
        const partition = partitionOf(o.pageId, psid, o.partitions);
        const slot = timerSlot(userKeyOf(o.pageId, psid), sequenceTimer(SEQ_ID));
        return o.store.timers.set(partition, slot, o.dueAt, timerRecord(o.pageId, psid, id, o.dueAt));
      }),
    );
  return { users: o.psids.length, ms: Date.now() - started };
}
