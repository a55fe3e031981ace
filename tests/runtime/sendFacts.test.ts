import { initialUserState } from '../../src/engine/userState';
import { decodeSendFacts, encodeSendFacts, sendFactsOf } from '../../src/runtime/sendFacts';

it('round-trips what the policy needs, and reads nothing it does not know as facts', () => {
  const state = { ...initialUserState(), lastInboundAt: 1_000, windowEndsAt: 86_401_000, thread: 'human' as const };
  expect(decodeSendFacts(encodeSendFacts(state))).toEqual(sendFactsOf(state));
  expect(decodeSendFacts(encodeSendFacts(initialUserState()))).toEqual({
    lastInboundAt: null,
    windowEndsAt: null,
    thread: 'bot',
  });
  expect(decodeSendFacts(null)).toBeUndefined();
  expect(decodeSendFacts('not json')).toBeUndefined();
  expect(decodeSendFacts('{"v":2,"l":1,"w":2,"t":"bot"}')).toBeUndefined(); // a newer format: read the state
});
