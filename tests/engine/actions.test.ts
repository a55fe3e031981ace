import type { EngineEffect } from '../../src/engine/effects';
import { transition } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import { HOUR, T0, flowSet, oneStepSequence, text } from './engineFixtures';

const base: UserState = {
  ...initialUserState(),
  fields: { name: 'Ann', points: 'x', old: 1, older: 2 },
  tags: ['a', 'b'],
  consent: { offers: { subscribed: true, at: 0, source: 'x' } },
  sequences: { tips: { startedAt: 0 } },
};

function run(nodes: Record<string, unknown>, state: UserState = base, now = T0, extra: Record<string, unknown> = {}) {
  const fs = flowSet([{ id: 'f', start: 'go', triggers: [{ keyword: 'go' }], nodes, ...extra }], {}, 'v1', [
    oneStepSequence('onboarding', 'news'),
  ]);
  return transition(fs, state, text('go'), now);
}

describe('actions', () => {
  it('set (with interpolation), increment (from non-numbers too), unset, tag, untag', () => {
    const r = run({
      go: {
        actions: [
          { set: { greeting: 'hi {{name}}', vip: true, score: 3 } },
          { increment: 'points' },
          { increment: { field: 'score', by: 2.5 } },
          { unset: ['old', 'older'] },
          { tag: ['c', 'a'] },
          { untag: 'b' },
        ],
        end: true,
      },
    });
    expect(r.state.fields).toEqual({ name: 'Ann', greeting: 'hi Ann', vip: true, score: 5.5, points: 1 });
    expect(r.state.tags).toEqual(['a', 'c']);
  });

  it('subscribe / unsubscribe record consent with time and source; sequences start and stop', () => {
    const r = run({
      go: {
        actions: [{ unsubscribe: 'offers' }, { subscribe: 'news' }, { stop_sequence: 'tips' }, { start_sequence: 'onboarding' }],
        end: true,
      },
    });
    expect(r.state.consent).toEqual({
      offers: { subscribed: false, at: T0, source: 'flow:f/go' },
      news: { subscribed: true, at: T0, source: 'flow:f/go' },
    });
    expect(r.state.sequences).toEqual({
      onboarding: { startedAt: T0, next: 0, stepId: 'tip-1', dueAt: T0 + 24 * 3600_000, timer: expect.any(String), prevAt: T0 },
    });
    expect(r.effects.filter((e) => e.type === 'consent' || e.type === 'sequence')).toEqual([
      { type: 'consent', topic: 'offers', subscribed: false, source: 'flow:f/go' },
      { type: 'consent', topic: 'news', subscribed: true, source: 'flow:f/go' },
      { type: 'sequence', action: 'stop', sequence: 'tips' },
      { type: 'sequence', action: 'start', sequence: 'onboarding' },
    ]);
    expect(r.effects.filter((e) => e.type === 'sequence_timer')).toEqual([
      { type: 'sequence_timer', sequence: 'onboarding', id: r.state.sequences.onboarding?.timer, at: T0 + 24 * 3600_000 },
    ]);
  });

  it('goto jumps after the node speaks; notify reaches the admins', () => {
    const r = run({
      go: { actions: [{ notify: 'hot lead {{name}}' }, { goto: 'two' }], say: [{ text: 'one' }], next: 'never' },
      two: { say: [{ video: 'https://x.test/v.mp4' }, { file: 'https://x.test/f.pdf' }], end: true },
      never: { end: true },
    });
    expect(r.effects).toContainEqual({ type: 'notify', reason: 'flow', text: 'hot lead Ann' });
    expect(r.effects.filter((e) => e.type === 'send').map((e) => (e.type === 'send' ? e.message : null))).toEqual([
      { text: 'one' },
      { attachment: { type: 'video', payload: { url: 'https://x.test/v.mp4' } } },
      { attachment: { type: 'file', payload: { url: 'https://x.test/f.pdf' } } },
    ]);
    expect(r.state.position?.node).toBe('two');
  });

  it('a bare `- handover:` (YAML null) means the defaults', () => {
    const r = run({ go: { actions: [{ handover: null }], end: true } });
    expect(r.effects).toContainEqual(expect.objectContaining({ type: 'handover', reason: 'requested' }));
  });

  it('a handover action hands over at once, with the reason and context in the metadata', () => {
    const r = run({
      go: { actions: [{ set: { topic: 'refund' } }, { handover: { reason: 'refund' } }], say: [{ text: 'not said' }], end: true },
    });
    expect(r.state.thread).toBe('handing_over');
    expect(r.effects).toContainEqual({
      type: 'handover',
      reason: 'refund',
      targetAppId: '263902037430900',
      metadata: { reason: 'refund', flow: 'f', node: 'go', fields: expect.objectContaining({ topic: 'refund' }) },
    });
    expect(JSON.stringify(r.effects)).not.toContain('not said');
  });
});

describe('branch and randomize', () => {
  const nodes = {
    go: { branch: [{ if: [{ tag: 'a' }, { field: 'name', equals: 'Ann' }], goto: 'tagged' }, { else: 'other' }] },
    tagged: { say: [{ text: 'tagged' }], end: true },
    other: { say: [{ text: 'other' }], end: true },
  };
  const said = (r: ReturnType<typeof run>) =>
    r.effects.flatMap((e) => (e.type === 'send' && 'text' in e.message ? [e.message.text] : []));

  it('takes the first branch whose conditions all hold, else the else', () => {
    expect(said(run(nodes))).toEqual(['tagged']);
    expect(said(run(nodes, { ...base, tags: [] }))).toEqual(['other']);
  });

  const ab = {
    go: {
      randomize: [
        { weight: 1, goto: 'a' },
        { weight: 3, goto: 'b' },
      ],
    },
    a: { say: [{ text: 'A' }], end: true },
    b: { say: [{ text: 'B' }], end: true },
  };

  it('assigns an A/B variant once and keeps it for that user', () => {
    const first = run(ab);
    const variant = first.state.ab['f:go'];
    for (let i = 1; i <= 20; i++) {
      const again = run(ab, first.state, T0 + i * HOUR);
      expect(again.state.ab['f:go']).toBe(variant);
    }
  });

  it('splits users by weight (1:3 → about 25% A over 2,000 users)', () => {
    let a = 0;
    for (let i = 0; i < 2000; i++) if (run(ab, base, T0 + i * 7919).state.ab['f:go'] === 'a') a += 1;
    expect(a / 2000).toBeGreaterThan(0.2);
    expect(a / 2000).toBeLessThan(0.3);
  });
});

describe('choices', () => {
  const nodes = {
    go: {
      ask: {
        text: 'Size?',
        capture: 'choice',
        into: 'size',
        choices: [
          { title: 'Small', value: 's', goto: 'small' },
          { title: 'Large', value: 'l' },
        ],
        on_fail: 'go',
        next: 'done',
      },
    },
    small: { say: [{ text: 'small it is' }], end: true },
    done: { say: [{ text: 'noted {{size}}' }], end: true },
  };
  const said = (r: { effects: readonly EngineEffect[] }) =>
    r.effects.flatMap((e) => (e.type === 'send' && 'text' in e.message ? [e.message.text] : []));

  it('a tapped choice answers the waiting question and follows its goto', () => {
    const asked = run(nodes);
    const fs = flowSet([{ id: 'f', start: 'go', triggers: [{ keyword: 'go' }], nodes }]);
    const r = transition(fs, asked.state, { type: 'payload', payload: 'TS|f|go|a0', text: 'Small' }, T0 + HOUR);
    expect(r.state.fields.size).toBe('s');
    expect(said(r)).toEqual(['small it is']);
  });

  it('a tap on an old choice (question no longer waiting) is read as its title', () => {
    const asked = run(nodes);
    const fs = flowSet([{ id: 'f', start: 'go', triggers: [{ keyword: 'go' }], nodes }]);
    const answered = transition(fs, asked.state, text('large'), T0 + HOUR);
    expect(said(answered)).toEqual(['noted l']);
    const late = transition(fs, answered.state, { type: 'payload', payload: 'TS|f|go|a0', text: 'Small' }, T0 + 2 * HOUR);
    expect(late.state.fields.size).toBe('l');
    expect(said(late)).toEqual(["Sorry, I didn't get that."]);
  });
});

describe('typed options', () => {
  it('typing the title of an offered quick reply or button counts as tapping it', () => {
    const fs = flowSet([
      {
        id: 'f',
        start: 'menu',
        nodes: {
          menu: { say: [{ text: 'Pick', quick_replies: [{ title: 'Shop shoes', goto: 'shoes', actions: [{ tag: 'typed' }] }] }] },
          shoes: { say: [{ text: 'Shoes!' }], end: true },
        },
      },
    ]);
    const first = transition(fs, initialUserState(), text('hello'), T0);
    const typed = transition(fs, first.state, text('shop SHOES!'), T0 + 1000);
    expect(typed.state.position?.node).toBe('shoes');
    expect(typed.state.tags).toEqual(['typed']);
    const other = transition(fs, first.state, text('shoes please'), T0 + 1000);
    expect(other.state.position?.node).toBe('menu');
  });
});

describe('profile lookups', () => {
  const fs = flowSet([{ id: 'f', start: 'a', nodes: { a: { say: [{ text: 'Hi {{first_name}}' }], end: true } } }], {
    defaults: { first_name: 'there' },
  });
  it('fills first_name from the profile the runtime looked up, and records when', () => {
    const r = transition(fs, initialUserState(), text('x'), T0, { ok: true, first_name: 'Lea', locale: 'fr_FR' });
    expect(r.effects).toContainEqual(expect.objectContaining({ type: 'send', message: { text: 'Hi Lea' } }));
    expect(r.state.profile).toEqual({ ok: true, first_name: 'Lea', locale: 'fr_FR', at: T0 });
  });

  it('never overwrites a name the user gave, and a failed lookup keeps the default', () => {
    const named = { ...initialUserState(), fields: { first_name: 'Lou' } };
    expect(transition(fs, named, text('x'), T0, { ok: true, first_name: 'Lea' }).state.fields.first_name).toBe('Lou');
    const failed = transition(fs, initialUserState(), text('x'), T0, { ok: false });
    expect(failed.effects).toContainEqual(expect.objectContaining({ type: 'send', message: { text: 'Hi there' } }));
    expect(failed.state.profile).toEqual({ ok: false, at: T0 });
  });
});
