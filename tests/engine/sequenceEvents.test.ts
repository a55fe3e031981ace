import type { EngineEffect } from '../../src/engine/effects';
import type { EngineEvent } from '../../src/engine/engineEvent';
import type { FlowSet } from '../../src/engine/flowSet';
import { transition, type TransitionResult } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { HOUR, T0, flowSet, text } from './engineFixtures';

/**
 * Drip sequences in the user's lane on a fake clock: each step comes back as its timer, is decided
 * against the user's state at that moment, and the next one is armed. The timers are played here
 * as the runtime would (the armed one, at its time).
 */
const shop = {
  id: 'shop',
  start: 'hello',
  triggers: [
    { keyword: 'tips', goto: 'join' },
    { keyword: 'leave', goto: 'leave' },
  ],
  fallback: { text: 'Sorry?' },
  nodes: {
    hello: { say: [{ text: 'Hi' }], end: true },
    join: { actions: [{ subscribe: 'tips' }, { start_sequence: 'run' }], say: [{ text: 'Subscribed' }], end: true },
    leave: { actions: [{ unsubscribe: 'tips' }], say: [{ text: 'Bye' }], end: true },
  },
};
const step = (id: string, delay: string, extra: Record<string, unknown> = {}) => ({
  id,
  delay,
  kind: 'promotional',
  messages: [{ text: `tip ${id}` }],
  ...extra,
});
const sequence = (steps: unknown[], id = 'run') => ({ id, name: id, topic: 'tips', steps });
const four = sequence([step('s0', '0m'), step('s1', '1h'), step('s2', '22h'), step('s3', '2d', { from: 'subscription' })]);
const flows = (seq: Record<string, unknown> = four, settings: Record<string, unknown> = {}): FlowSet =>
  flowSet([shop], settings, 'v1', [seq]);

type Armed = Extract<EngineEffect, { type: 'sequence_timer' }>;
const armed = (r: TransitionResult): Armed | undefined => r.effects.filter((e): e is Armed => e.type === 'sequence_timer').at(-1);
const tipsSent = (r: TransitionResult): string[] =>
  r.effects.flatMap((e) =>
    e.type === 'send' && 'text' in e.message && e.message.text.startsWith('tip') ? [e.message.text] : [],
  );
const fire = (fs: FlowSet, state: UserState, a: Armed): TransitionResult =>
  transition(fs, state, { type: 'timer', timer: `sequence:${a.sequence}`, id: a.id } as EngineEvent, a.at);

/** Subscribes at T0 and plays every armed timer until the sequence ends; returns what each step did. */
function play(fs: FlowSet, until = Infinity, start: UserState = initialUserState()) {
  let r = transition(fs, start, text('tips'), T0);
  const log: Array<{ at: number; sent: string[]; stats: readonly string[] }> = [];
  for (let a = armed(r); a && a.at <= until; a = armed(r)) {
    r = fire(fs, r.state, a);
    log.push({ at: a.at, sent: tipsSent(r), stats: r.stats ?? [] });
  }
  return { r, log };
}

describe('sequences in the user lane', () => {
  it('steps at +0, +1 h, +23 h and +2 d: the in-window ones are sent, the +2 d promotional one is skipped and the sequence ends', () => {
    const { r, log } = play(flows());
    expect(log.map((l) => [(l.at - T0) / HOUR, l.sent])).toEqual([
      [0, ['tip s0']],
      [1, ['tip s1']],
      [23, ['tip s2']],
      [48, []],
    ]);
    expect(log[3]?.stats).toEqual(['seq.run.s3|targeted', 'seq.run.s3|skipped:outside_window']);
    expect(log[0]?.stats).toEqual(['seq.run.s0|targeted', 'seq.run.s0|queued']);
    expect(r.state.sequences).toEqual({});
    // Steps go out as UPDATE sends marked with the step, with no typing and no "seen".
    const first = fire(flows(), transition(flows(), initialUserState(), text('tips'), T0).state, {
      type: 'sequence_timer',
      sequence: 'run',
      id: armed(transition(flows(), initialUserState(), text('tips'), T0))?.id ?? '',
      at: T0,
    });
    expect(first.effects.map((e) => e.type)).toEqual(['send', 'sequence_timer']);
    expect(first.effects[0]).toMatchObject({
      messaging: 'UPDATE',
      broadcast: { id: 'seq.run.s0', kind: 'promotional', topic: 'tips', source: 'sequence' },
    });
  });

  it('an unsubscribe after step 2 ends the rest; a timer of the ended sequence does nothing', () => {
    const fs = flows();
    const { r } = play(fs, T0 + HOUR);
    const next = armed(transition(fs, initialUserState(), text('tips'), T0)); // any stale id
    const left = transition(fs, r.state, text('leave'), T0 + 2 * HOUR);
    expect(left.state.sequences).toEqual({});
    expect(left.effects).toContainEqual({ type: 'sequence', action: 'stop', sequence: 'run' });
    const late = fire(fs, left.state, { ...(next as Armed), at: T0 + 23 * HOUR });
    expect(tipsSent(late)).toEqual([]);
    expect(late.stats).toBeUndefined();
  });

  it('only the timer armed last counts: a step fired twice is decided once', () => {
    const fs = flows();
    const start = transition(fs, initialUserState(), text('tips'), T0);
    const a = armed(start) as Armed;
    const once = fire(fs, start.state, a);
    expect(tipsSent(once)).toEqual(['tip s0']);
    expect(tipsSent(fire(fs, once.state, a))).toEqual([]);
  });

  it('starting a running sequence again changes nothing', () => {
    const fs = flows();
    const start = transition(fs, initialUserState(), text('tips'), T0);
    const again = transition(fs, start.state, text('tips'), T0 + 60_000);
    expect(again.state.sequences).toEqual(start.state.sequences);
    expect(armed(again)).toBeUndefined();
  });

  it("a 09:00–20:00 window: a step due at 23:00 the user's time goes at 09:00 the next day, across a DST change", () => {
    // Paris leaves summer time on Sunday 2026-10-25. Subscribed Saturday 20:00 UTC (22:00 Paris);
    // the step is due an hour later, 23:00 Paris, and goes at 09:00 Paris on Sunday: 08:00 UTC (winter).
    const seq = sequence([step('s0', '1h', { kind: 'tagged', tag: 'ACCOUNT_UPDATE', window: { hours: ['09:00', '20:00'] } })]);
    const fs = flows(seq);
    const at = Date.UTC(2026, 9, 24, 20);
    const user = { ...initialUserState(), fields: { timezone: 'Europe/Paris' } };
    const start = transition(fs, user, text('tips'), at);
    expect(new Date(armed(start)?.at ?? 0).toISOString()).toBe('2026-10-25T08:00:00.000Z');
    // The same for a user in New York (no field, the Page's zone from settings), on weekdays only.
    const weekdays = sequence([
      step('s0', '1h', {
        kind: 'tagged',
        tag: 'ACCOUNT_UPDATE',
        window: { hours: ['09:00', '20:00'], days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      }),
    ]);
    const ny = transition(flows(weekdays, { timezone: 'America/New_York' }), initialUserState(), text('tips'), at);
    // Saturday 17:00 in New York + 1 h: the next weekday opening is Monday 09:00 EST = 14:00 UTC.
    expect(new Date(armed(ny)?.at ?? 0).toISOString()).toBe('2026-10-26T13:00:00.000Z');
  });

  it('an edit applies to steps not yet sent: a removed step is skipped, a removed sequence ends', () => {
    const fs = flows();
    const after0 = fire(
      fs,
      transition(fs, initialUserState(), text('tips'), T0).state,
      armed(transition(fs, initialUserState(), text('tips'), T0)) as Armed,
    );
    const nextTimer = armed(after0) as Armed; // s1, due at +1 h
    const edited = flows(sequence([step('s0', '0m'), step('s2', '22h'), step('s3', '2d', { from: 'subscription' })]));
    const r = fire(edited, after0.state, nextTimer);
    // s1 is gone: nothing goes now; s2 is armed for its own time, 22 h after s0.
    expect(tipsSent(r)).toEqual([]);
    expect(armed(r)?.at).toBe(T0 + 22 * HOUR);
    expect(tipsSent(fire(edited, r.state, armed(r) as Armed))).toEqual(['tip s2']);
    const gone = fire(flowSet([shop], {}, 'v1', []), after0.state, nextTimer);
    expect(gone.state.sequences).toEqual({});
    expect(tipsSent(gone)).toEqual([]);
  });

  it('while a person has the conversation a step waits (hourly) and is skipped after a day', () => {
    const fs = flows(
      sequence([
        step('s0', '0m', { kind: 'tagged', tag: 'ACCOUNT_UPDATE' }),
        step('s1', '1h', { kind: 'tagged', tag: 'ACCOUNT_UPDATE' }),
      ]),
    );
    const start = transition(fs, initialUserState(), text('tips'), T0);
    const withPerson: UserState = { ...start.state, thread: 'human' };
    let r = fire(fs, withPerson, armed(start) as Armed);
    expect(tipsSent(r)).toEqual([]);
    expect(armed(r)?.at).toBe(T0 + HOUR);
    // Back with the bot an hour later: the waiting step goes then.
    const back = fire(fs, { ...r.state, thread: 'bot' }, armed(r) as Armed);
    expect(tipsSent(back)).toEqual(['tip s0']);
    // Still with a person after a day: skipped, and the sequence goes on.
    for (let i = 0; i < 30 && armed(r) && (armed(r) as Armed).at < T0 + 25 * HOUR; i++) r = fire(fs, r.state, armed(r) as Armed);
    expect(r.stats).toEqual(['seq.run.s0|targeted', 'seq.run.s0|skipped:human_owns_thread']);
  });
});

describe('sequences from the admin API and after a step', () => {
  it('an admin starts and stops a sequence in the user lane (no window, no reply)', () => {
    const fs = flows();
    const known = transition(fs, initialUserState(), text('hello'), T0).state;
    const started = transition(fs, known, { type: 'admin_sequence', sequence: 'run', action: 'start', by: 'mark' }, T0 + HOUR);
    expect(Object.keys(started.state.sequences)).toEqual(['run']);
    expect(started.effects.map((e) => e.type)).toEqual(['sequence', 'sequence_timer']);
    expect(started.state.windowEndsAt).toBe(known.windowEndsAt);
    const stopped = transition(
      fs,
      started.state,
      { type: 'admin_sequence', sequence: 'run', action: 'stop', by: 'mark' },
      T0 + 2 * HOUR,
    );
    expect(stopped.state.sequences).toEqual({});
    expect(stopped.effects).toEqual([{ type: 'sequence', action: 'stop', sequence: 'run' }]);
  });

  it("a step's delivery, read, tap and reply count for the step, as for a broadcast", () => {
    const fs = flows(
      sequence([step('s0', '0m', { messages: [{ text: 'tip s0', quick_replies: [{ title: 'More', payload: 'MORE_TIPS' }] }] })]),
    );
    const start = transition(fs, initialUserState(), text('tips'), T0);
    const sent = fire(fs, start.state, armed(start) as Armed);
    expect(sent.state.broadcasts.map((b) => [b.id, b.payloads])).toEqual([['seq.run.s0', ['MORE_TIPS']]]);
    const read = transition(fs, sent.state, { type: 'read', watermark: T0 + 1000 }, T0 + 2000);
    expect(read.stats).toEqual(['seq.run.s0|delivered', 'seq.run.s0|read']);
    const tap = transition(fs, read.state, { type: 'payload', payload: 'MORE_TIPS', text: 'More' }, T0 + HOUR);
    expect(tap.stats?.filter((f) => f.startsWith('seq.'))).toEqual(['seq.run.s0|replied', 'seq.run.s0|clicked']);
  });
});
