import { join } from 'node:path';
import { loadFlows } from '../../src/flows/loadFlows';
import type { Problem } from '../../src/flows/problem';

const FIXTURES = join(__dirname, '..', 'fixtures', 'flows');

function load(dir: string): { ok: boolean; problems: readonly Problem[] } {
  const outcome = loadFlows(join(FIXTURES, dir));
  return outcome.ok ? { ok: true, problems: outcome.warnings } : { ok: false, problems: outcome.problems };
}

const summary = (problems: readonly Problem[]) =>
  problems.filter((p) => !p.message.includes('no fallback')).map((p) => `${p.severity} ${p.line ?? '-'} ${p.message}`);

describe('the linter on comment triggers', () => {
  it('accepts a comment trigger whose node is one message that leads into the flow', () => {
    const { ok, problems } = load('comments');
    expect(problems).toEqual([]);
    expect(ok).toBe(true);
  });

  it('refuses what Meta or the commenter cannot do, and says where and how to fix it', () => {
    const { ok, problems } = load('comment-errors');
    expect(ok).toBe(false);
    expect(problems.every((p) => p.fix.length > 0 && p.file.endsWith('comment-errors/flow.yaml'))).toBe(true);
    expect(summary(problems)).toEqual([
      'error 4 a comment trigger with no keywords never fires',
      expect.stringMatching(/^error 5 keyword pattern "\(a\+\)\+\$" can backtrack catastrophically/),
      'error 7 the public reply has 501 characters; at most 500',
      'warning 9 keyword "Price!" is already in an earlier comment trigger of this flow for the same post; only the first fires',
      'error 10 node "asks" is a comment trigger\'s private reply and says 0 messages; Meta allows exactly one per comment',
      'warning 11 keyword "!!" never matches: nothing is left once punctuation and spaces are dropped',
      'error 11 post "bad/post" is not a post id',
      'error 19 node "two_messages" is a comment trigger\'s private reply and says 2 messages; Meta allows exactly one per comment',
      'warning 19 node "two_messages"\'s private reply offers nothing to tap: the conversation goes on only once the person answers',
      'error 22 node "two_messages" is a comment trigger\'s private reply and has next (what follows would be a second message)',
      'error 24 node "asks" is a comment trigger\'s private reply and has a question (its text would be a second message, and the commenter cannot answer it yet)',
      'warning 31 node "quiet"\'s actions never run for a comment: the commenter is not a user until they answer',
      'warning 33 node "quiet"\'s private reply offers nothing to tap: the conversation goes on only once the person answers',
    ]);
  });

  it("lints the demo shop's comment trigger clean", () => {
    const outcome = loadFlows(join(__dirname, '..', '..', 'flows'));
    expect(outcome.ok).toBe(true);
    const problems = outcome.ok ? outcome.warnings : outcome.problems;
    expect(problems.filter((p) => p.message.includes('comment') || p.message.includes('private reply'))).toEqual([]);
  });
});
