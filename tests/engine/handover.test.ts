import type { EngineEffect } from '../../src/engine/effects';
import { toEngineEvent } from '../../src/runtime/toEngineEvent';
import { transition } from '../../src/engine/transition';
import { initialUserState, type UserState } from '../../src/engine/userState';
import type { MessengerEvent } from '../../src/store/messengerEvent';
import { HOUR, T0, flowSet, text } from './engineFixtures';

const flows = flowSet([
  {
    id: 'shop',
    start: 'menu',
    triggers: [{ keyword: 'hi' }],
    nodes: {
      menu: { say: [{ text: 'Menu', quick_replies: [{ title: 'Help', goto: 'human' }] }] },
      human: { handover: { message: 'A person will reply.' } },
    },
  },
]);
const sends = (effects: readonly EngineEffect[]) => effects.filter((e) => e.type === 'send');
const event = (over: Partial<MessengerEvent>): MessengerEvent => ({
  kind: 'message',
  channel: 'messaging',
  pageId: 'p',
  userId: 'u',
  timestamp: T0,
  dedupeKey: 'k',
  raw: {},
  ...over,
});

describe('reading thread events', () => {
  it("tells our own echoes from a person's, and standby messages from live ones", () => {
    const echo = (appId: unknown) => event({ kind: 'echo', raw: { message: { is_echo: true, app_id: appId, text: 'hey' } } });
    expect(toEngineEvent(echo(1234), '1234')).toEqual({ type: 'none' });
    expect(toEngineEvent(echo(263902037430900), '1234')).toEqual({ type: 'agent_message', text: 'hey' });
    expect(toEngineEvent(echo(undefined), '1234')).toEqual({ type: 'agent_message', text: 'hey' });
    expect(toEngineEvent(event({ channel: 'standby', raw: { message: { text: 'still there?' } } }))).toEqual({
      type: 'standby_message',
      text: 'still there?',
      sentAt: T0,
      cause: 'k',
    });
    expect(
      toEngineEvent(event({ kind: 'pass_thread_control', raw: { pass_thread_control: { new_owner_app_id: '1234' } } })),
    ).toEqual({ type: 'control_returned', at: T0 });
    expect(toEngineEvent(event({ kind: 'take_thread_control', raw: { take_thread_control: {} } }))).toEqual({
      type: 'control_taken',
    });
  });
});

describe('the handover state machine', () => {
  const handedOver = () => {
    let s: UserState = transition(flows, initialUserState(), text('hi'), T0).state;
    s = transition(flows, s, text('talk to a person'), T0 + 1000).state;
    return s;
  };
  const handedOverEffects = () =>
    transition(flows, transition(flows, initialUserState(), text('hi'), T0).state, text('talk to a person'), T0 + 1000).effects;

  it('asking for a person → handing_over; standby messages → human, recorded, never answered', () => {
    let s = handedOver();
    expect(s.thread).toBe('handing_over');
    for (let i = 0; i < 20; i++) {
      const r = transition(flows, s, { type: 'standby_message', text: `msg ${i}`, sentAt: T0 + HOUR + i }, T0 + HOUR + i);
      expect(sends(r.effects)).toEqual([]);
      s = r.state;
    }
    expect(s.thread).toBe('human');
    expect(s.transcript.filter((t) => t.from === 'user').map((t) => t.text)).toEqual([
      'hi',
      'talk to a person',
      ...Array.from({ length: 20 }, (_, i) => `msg ${i}`),
    ]);
    expect(s.lastInboundAt).toBe(T0 + HOUR + 19);
    expect(s.threadLog.map((l) => [l.from, l.to, l.cause])).toEqual([
      ['bot', 'handing_over', 'keyword'],
      ['handing_over', 'human', 'standby_message'],
    ]);
  });

  it('control passed back → bot, a welcome-back that says it is automated (UPDATE), and the next message runs the flow', () => {
    const human = transition(
      flows,
      handedOver(),
      { type: 'standby_message', text: 'hello?', sentAt: T0 + HOUR },
      T0 + HOUR,
    ).state;
    const back = transition(flows, human, { type: 'control_returned', at: T0 + 2 * HOUR }, T0 + 2 * HOUR);
    expect(back.state.thread).toBe('bot');
    expect(sends(back.effects)).toEqual([
      {
        type: 'send',
        message: { text: expect.stringContaining('automated assistant') },
        messaging: 'UPDATE',
        promotional: false,
      },
    ]);
    const next = transition(flows, back.state, text('hi'), T0 + 3 * HOUR);
    expect(sends(next.effects).map((e) => (e.type === 'send' && 'text' in e.message ? e.message.text : ''))).toEqual(['Menu']);
    // A second pass while the bot already owns the thread changes nothing: no double welcome-back.
    expect(sends(transition(flows, back.state, { type: 'control_returned', at: T0 + 2 * HOUR }, T0 + 2 * HOUR).effects)).toEqual(
      [],
    );
  });

  it('a person replying in the Page Inbox while the bot owns the thread pauses the bot for that user', () => {
    const s = transition(flows, initialUserState(), text('hi'), T0).state;
    const paused = transition(flows, s, { type: 'agent_message', text: 'Hi, Anna here' }, T0 + 1000).state;
    expect(paused.thread).toBe('paused');
    expect(paused.transcript).toEqual([
      { at: T0, from: 'user', text: 'hi' },
      { at: T0 + 1000, from: 'agent', text: 'Hi, Anna here' },
    ]);
    expect(sends(transition(flows, paused, text('hi'), T0 + 2000).effects)).toEqual([]);
    const off = flowSet([{ id: 'shop', start: 'menu', nodes: { menu: { say: [{ text: 'Menu' }], wait: true } } }], {
      pause_on_agent_reply: false,
    });
    expect(transition(off, s, { type: 'agent_message', text: 'x' }, T0).state.thread).toBe('bot');
  });

  it('another app taking control → human', () => {
    const s = transition(flows, initialUserState(), text('hi'), T0).state;
    const r = transition(flows, s, { type: 'control_taken' }, T0 + 1);
    expect(r.state.thread).toBe('human');
    expect(r.state.threadLog.at(-1)).toEqual({ at: T0 + 1, from: 'bot', to: 'human', cause: 'control_taken' });
  });

  it("the sender's report: passed → human; handover disabled → paused, the agents already notified once", () => {
    const passed = transition(flows, handedOver(), { type: 'handover_result', outcome: 'passed', at: T0 + 2000 }, T0 + 5);
    expect(passed.state.thread).toBe('human');
    const disabled = transition(
      flows,
      handedOver(),
      { type: 'handover_result', outcome: 'handover_disabled', at: T0 + 2000 },
      T0 + 5,
    );
    expect(disabled.state.thread).toBe('paused');
    // The notice went out when the customer asked (handedOver); a second one would only repeat it.
    expect(handedOverEffects().filter((e) => e.type === 'notify')).toHaveLength(1);
    expect(disabled.effects.filter((e) => e.type === 'notify' || e.type === 'send')).toEqual([]);
    // A late report for a thread no longer handing over changes nothing.
    expect(
      transition(flows, passed.state, { type: 'handover_result', outcome: 'handover_disabled', at: T0 + 2000 }, T0 + 6).state
        .thread,
    ).toBe('human');
  });

  it('keeps only the last 5 lines while the bot owns the thread, up to 50 while a person does', () => {
    let s: UserState = initialUserState();
    for (let i = 0; i < 12; i++) s = transition(flows, s, text(`bot era ${i}`), T0 + i).state;
    expect(s.transcript.map((t) => t.text)).toEqual(['bot era 7', 'bot era 8', 'bot era 9', 'bot era 10', 'bot era 11']);
    s = transition(flows, s, text('talk to a person'), T0 + 100).state;
    for (let i = 0; i < 60; i++)
      s = transition(flows, s, { type: 'standby_message', text: `human era ${i}`, sentAt: T0 + 200 + i }, T0 + 200 + i).state;
    expect(s.transcript).toHaveLength(50);
    expect(s.transcript.at(-1)?.text).toBe('human era 59');
  });

  it('a request from another app is granted while the bot is idle, refused while a question waits', () => {
    const idle = transition(flows, initialUserState(), text('hi'), T0).state;
    const granted = transition(flows, idle, { type: 'control_requested', appId: '777' }, T0 + 1);
    expect(granted.state.thread).toBe('human');
    expect(granted.effects).toContainEqual(
      expect.objectContaining({ type: 'handover', targetAppId: '777', reason: 'requested_by_app' }),
    );
    const asking = { ...idle, pending: { flow: 'shop', version: 'v1', node: 'menu', retries: 0 } };
    const refused = transition(flows, asking, { type: 'control_requested', appId: '777' }, T0 + 1);
    expect(refused.state.thread).toBe('bot');
    expect(refused.effects).toEqual([]);
    expect(refused.state.threadLog.at(-1)?.cause).toBe('request_refused:777');
  });

  it('the request policy is configurable: always grants even mid-question, never refuses even when idle', () => {
    const idle = transition(flows, initialUserState(), text('hi'), T0).state;
    const asking = { ...idle, pending: { flow: 'shop', version: 'v1', node: 'menu', retries: 0 } };
    const request = { type: 'control_requested', appId: '777' } as const;
    const with_ = (grant_requests: string) =>
      flowSet([flows.flows.get('shop')?.flow as Record<string, unknown>], { handover: { grant_requests } });
    expect(transition(with_('always'), asking, request, T0 + 1).state.thread).toBe('human');
    expect(transition(with_('never'), idle, request, T0 + 1).state.thread).toBe('bot');
    expect(transition(with_('when_idle'), asking, request, T0 + 1).state.thread).toBe('bot');
    expect(() => with_('sometimes')).toThrow(/grant_requests/);
  });

  it('inactivity timeout: armed on handover, postponed by activity, stale firings ignored, the current one takes the thread back', () => {
    const s0 = handedOver();
    expect(s0.timer).toEqual({ id: expect.any(String), dueAt: T0 + 1000 + 2 * HOUR });
    const human = transition(flows, s0, { type: 'standby_message', text: 'hello?', sentAt: T0 + HOUR }, T0 + HOUR);
    expect(human.effects).toContainEqual({
      type: 'schedule',
      timer: 'handover_timeout',
      id: human.state.timer?.id,
      at: T0 + 3 * HOUR,
    });
    const oldId = s0.timer?.id as string;
    const stale = transition(flows, human.state, { type: 'timer', timer: 'handover_timeout', id: oldId }, T0 + 2 * HOUR + 1000);
    expect(stale.effects).toEqual([]);
    expect(stale.state.thread).toBe('human');
    const due = transition(
      flows,
      human.state,
      { type: 'timer', timer: 'handover_timeout', id: human.state.timer?.id as string },
      T0 + 3 * HOUR,
    );
    expect(due.state.thread).toBe('bot');
    expect(due.state.timer).toBeNull();
    expect(due.effects[0]).toEqual({
      type: 'handover',
      take: true,
      reason: 'inactivity_timeout',
      metadata: { reason: 'inactivity_timeout' },
    });
    expect(due.effects).toContainEqual({ type: 'cancel_timer', timer: 'handover_timeout' });
    expect(sends(due.effects)).toHaveLength(1);
    // The same timer again, or one arriving after Done, changes nothing (no double welcome-back).
    expect(
      transition(
        flows,
        due.state,
        { type: 'timer', timer: 'handover_timeout', id: human.state.timer?.id as string },
        T0 + 26 * HOUR,
      ).effects,
    ).toEqual([]);
  });

  it('a thread back with the bot (or paused) disarms the timer; one with no timer emits no cancel', () => {
    const resumed = transition(flows, handedOver(), { type: 'admin_resume' }, T0 + HOUR);
    expect(resumed.effects).toContainEqual({ type: 'cancel_timer', timer: 'handover_timeout' });
    const paused = transition(flows, handedOver(), { type: 'admin_pause' }, T0 + HOUR);
    expect(paused.state.timer).toBeNull();
    expect(paused.effects).toEqual([{ type: 'cancel_timer', timer: 'handover_timeout' }]);
    expect(
      transition(flows, paused.state, { type: 'admin_resume' }, T0 + 2 * HOUR).effects.some((e) => e.type === 'cancel_timer'),
    ).toBe(false);
  });

  it('a customer message and the timeout at the same moment: either order ends consistent, never a double welcome-back', () => {
    const human = transition(flows, handedOver(), { type: 'standby_message', text: 'first', sentAt: T0 + HOUR }, T0 + HOUR).state;
    const timer = { type: 'timer', timer: 'handover_timeout', id: human.timer?.id as string } as const;
    const at = human.timer?.dueAt as number;
    const message = { type: 'standby_message', text: 'are you there?', sentAt: at } as const;
    // Message first: it postpones the timeout, so the timer that was already due is stale.
    const m1 = transition(flows, human, message, at);
    const m2 = transition(flows, m1.state, timer, at);
    expect(m2.state.thread).toBe('human');
    expect(sends([...m1.effects, ...m2.effects])).toEqual([]);
    // Timer first: the bot takes the thread back once (one welcome-back). The standby message was
    // written before the take went through: late news, recorded; the bot keeps the thread.
    const t1 = transition(flows, human, timer, at);
    expect(t1.state.takePending).toBe(true);
    const t2 = transition(flows, t1.state, message, at);
    expect(sends([...t1.effects, ...t2.effects])).toHaveLength(1);
    expect(t2.state.thread).toBe('bot');
    expect(t2.state.transcript.at(-1)?.text).toBe('are you there?');
    expect(sends(transition(flows, t2.state, timer, at).effects)).toEqual([]);
    // Once Meta confirmed the take, a late one (written before) is still news of the past…
    const taken = transition(flows, t2.state, { type: 'handover_result', outcome: 'taken', at: at + 500 }, at + 500).state;
    expect(transition(flows, taken, { ...message, sentAt: at + 400 }, at + 600).state.thread).toBe('bot');
    // …but one written after it means someone else has the thread now.
    expect(transition(flows, taken, { ...message, sentAt: at + 900 }, at + 1000).state.thread).toBe('human');
  });

  it('resuming from a person takes the thread from Meta first; resuming from a pause does not', () => {
    const fromHuman = transition(flows, handedOver(), { type: 'admin_resume' }, T0 + HOUR);
    expect(fromHuman.effects).toContainEqual({
      type: 'handover',
      take: true,
      reason: 'admin_resume',
      metadata: { reason: 'admin_resume' },
    });
    const paused = transition(
      flows,
      transition(flows, initialUserState(), text('hi'), T0).state,
      { type: 'admin_pause' },
      T0 + 1,
    ).state;
    expect(transition(flows, paused, { type: 'admin_resume' }, T0 + 2).effects.some((e) => e.type === 'handover')).toBe(false);
  });
});

describe('handover settings', () => {
  const texts = (effects: readonly EngineEffect[]) =>
    sends(effects).map((e) => (e.type === 'send' && 'text' in e.message ? e.message.text : '(not text)'));
  const shop = (over: Record<string, unknown> = {}) => ({ ...flows.flows.get('shop')?.flow, ...over });
  const office = {
    timezone: 'Europe/Paris',
    hours: { mon: '09:00-18:00', tue: '09:00-18:00', wed: '09:00-18:00', thu: '09:00-18:00', fri: '09:00-18:00' },
  };
  const askFor = (fs: typeof flows, now: number) =>
    transition(fs, transition(fs, initialUserState(), text('hi'), now).state, text('talk to a person'), now + 1000);
  const FRIDAY_EVENING = Date.UTC(2026, 10, 27, 19, 0); // 20:00 in Paris

  it('inside business hours only the handover message is sent', () => {
    const fs = flowSet([shop()], { handover: { business_hours: office } });
    expect(texts(askFor(fs, T0).effects)).toEqual(['Connecting you with a person. They will reply here.']); // T0: Monday 16:00 in Paris
  });

  it('outside business hours the after-hours message follows, saying when a person will reply', () => {
    const fs = flowSet([shop()], { handover: { business_hours: office } });
    const r = askFor(fs, FRIDAY_EVENING);
    expect(texts(r.effects)).toEqual([
      'Connecting you with a person. They will reply here.',
      'Our team is away right now and will be back on Monday at 09:00. Leave your message here and a person will reply then.',
    ]);
    expect(sends(r.effects).every((e) => e.type === 'send' && e.messaging === 'RESPONSE')).toBe(true);
    expect(r.state.thread).toBe('handing_over');
    // A node's own handover message too; {{next_open}} beats a user field of that name, other fields still fill in.
    const custom = flowSet([shop()], {
      handover: { business_hours: office },
      messages: { handover_after_hours: 'Back {{next_open}}, {{first_name}} ({{next_open|?}})' },
    });
    const s = {
      ...transition(custom, initialUserState(), text('hi'), FRIDAY_EVENING).state,
      fields: { first_name: 'Ana', next_open: 'never' },
    };
    const viaNode = transition(custom, s, text('Help'), FRIDAY_EVENING + 1000);
    expect(texts(viaNode.effects)).toEqual(['A person will reply.', 'Back on Monday at 09:00, Ana (on Monday at 09:00)']);
  });

  it('without business hours, or with none open, no after-hours message', () => {
    expect(texts(askFor(flows, FRIDAY_EVENING).effects)).toHaveLength(1);
    const never = flowSet([shop()], { handover: { business_hours: { timezone: 'UTC', hours: { mon: 'closed' } } } });
    expect(texts(askFor(never, FRIDAY_EVENING).effects)).toHaveLength(1);
  });

  it('the handover goes to the app in settings (default: the Page Inbox)', () => {
    const target = (effects: readonly EngineEffect[]) => effects.find((e) => e.type === 'handover')?.targetAppId;
    expect(target(askFor(flows, T0).effects)).toBe('263902037430900');
    expect(target(askFor(flowSet([shop()], { handover: { app_id: '1234567890' } }), T0).effects)).toBe('1234567890');
  });

  it('resume_at: after the welcome-back the bot enters that node, and everything it sends is UPDATE', () => {
    const withAsk = shop({
      nodes: {
        ...shop().nodes,
        feedback: {
          say: [{ text: 'Welcome back, {{first_name}}' }],
          ask: { text: 'How did it go?', capture: 'text', into: 'feedback' },
        },
      },
    });
    const fs = flowSet([withAsk], { handover: { resume_at: 'shop:feedback' } });
    const human = transition(fs, askFor(fs, T0).state, { type: 'control_taken' }, T0 + HOUR).state;
    const back = transition(fs, human, { type: 'control_returned', at: T0 + 2 * HOUR }, T0 + 2 * HOUR);
    expect(texts(back.effects)).toEqual([
      expect.stringContaining('automated assistant'),
      'Welcome back, there',
      'How did it go?',
    ]);
    expect(sends(back.effects).map((e) => e.type === 'send' && e.messaging)).toEqual(['UPDATE', 'UPDATE', 'UPDATE']);
    expect(back.state.position?.node).toBe('feedback');
    expect(back.state.pending).toEqual({ flow: 'shop', version: 'v1', node: 'feedback', retries: 0 });
    // The user's answer is then a normal reply to that question.
    expect(transition(fs, back.state, text('great'), T0 + 3 * HOUR).state.fields.feedback).toBe('great');
  });

  it('resume_at "<flow>" enters that flow\'s entry; the per-event cap still applies', () => {
    const other = {
      id: 'other',
      start: 'a',
      entry: 'b',
      nodes: { a: { end: true }, b: { say: [{ text: 'one' }, { text: 'two' }, { text: 'three' }], wait: true } },
    };
    const fs = flowSet([shop(), other], { handover: { resume_at: 'other' }, max_messages_per_event: 3 });
    const back = transition(fs, askFor(fs, T0).state, { type: 'admin_resume' }, T0 + HOUR);
    expect(texts(back.effects)).toEqual([expect.stringContaining('automated assistant'), 'one', 'two']);
    expect(back.effects).toContainEqual(expect.objectContaining({ type: 'warning', code: 'message_cap' }));
    expect(back.state.position).toEqual({ flow: 'other', version: 'v1', node: 'b' });
  });

  it("without resume_at the user waits at the default flow's entry and only the welcome-back is sent", () => {
    const fs = flowSet([shop({ entry: 'human' })]);
    const back = transition(fs, askFor(fs, T0).state, { type: 'admin_resume' }, T0 + HOUR);
    expect(texts(back.effects)).toEqual([expect.stringContaining('automated assistant')]);
    expect(back.state.position?.node).toBe('human');
    expect(back.state.thread).toBe('bot');
  });
});
