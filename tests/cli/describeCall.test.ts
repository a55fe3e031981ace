import { describeMessage } from '../../src/cli/describeCall';

describe("the demo's line for a message", () => {
  it('is one line whatever the text: a disclosure paragraph and the flow text joined by " / "', () => {
    expect(describeMessage('u1', { text: "You're chatting with a bot.\n\nHi Sam!\n  Pick one." })).toBe(
      "bot → u1: You're chatting with a bot. / Hi Sam! / Pick one.",
    );
    expect(describeMessage('u1', { text: 'Hi', quick_replies: [{ title: 'FAQ', content_type: 'text' }] })).toBe(
      'bot → u1: Hi  [FAQ]',
    );
  });
});
