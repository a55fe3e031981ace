import { z } from 'zod';
import { REQUEST_OUTCOMES } from '../engine/engineEvent';
import { THREAD_STATES } from '../engine/userState';
import { commentObjectIdSchema } from '../platform/privateReplySchema';

/**
 * A conversation test as marketers write it (FLOWS_DIR/tests/*.yaml): what the customer does, turn
 * by turn, and what the bot must answer. Run by `talkshop flows test` (runFlowTests.ts) on the real
 * engine and flows. `.describe()` texts feed the published JSON Schema (schemas/flow-test.schema.json).
 */

/** Caps: a test file is read from disk in CI; a runaway file must not run forever. */
export const FLOW_TEST_LIMITS = { turns: 200, messages: 20, stubs: 50, waitMs: 60 * 86_400_000 } as const;

const UNITS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "45s", "90m", "2h", "3d" → ms; `what` names it in the error ("a wait", "an age"). */
const duration = (what: string, description: string) =>
  z
    .string()
    .describe(description)
    .transform((s, ctx): number => {
      const m = /^(\d{1,6})(s|m|h|d)$/.exec(s);
      const ms = m ? Number(m[1]) * UNITS[m[2] as keyof typeof UNITS] : Number.NaN;
      if (Number.isFinite(ms) && ms <= FLOW_TEST_LIMITS.waitMs) return ms;
      ctx.addIssue({ code: 'custom', message: `"${s}" is not ${what} such as 45s, 90m, 2h or 1d (at most 60d)` });
      return z.NEVER;
    });

export const durationSchema = duration(
  'a wait',
  'how long the customer waits: a number and a unit, s, m (minutes), h or d; e.g. 90m, 2h, 1d',
);

/** The post a test's comment is under when it names none: `post: any` triggers hear it, a trigger for one post does not. */
export const DEFAULT_TEST_POST = 'test_post';

/**
 * Someone comments under a Page post (docs/flows.md, "Comments to Messenger"). The Page answers
 * with a private reply (the turn's `bot:`) and maybe a public one (`public_reply:`); a tap on the
 * private reply continues in the person's own conversation, as in production.
 */
const commentSchema = z
  .union([
    z.string().max(2000).describe('the comment text, under the default post'),
    z.strictObject({
      text: z.string().max(2000).describe('the comment text'),
      post: commentObjectIdSchema
        .optional()
        .describe(`the post it is under, e.g. 123_456 (default ${DEFAULT_TEST_POST}: heard by post: any triggers only)`),
      id: commentObjectIdSchema
        .optional()
        .describe("the comment's id (default: a new one each turn); the same id again is Meta redelivering it"),
      age: duration('an age', 'how old the comment is when the Page hears of it, e.g. 8d (default: just written)').optional(),
      by_page: z.literal(true).optional().describe('the Page wrote it itself (never answered)'),
      visitor_post: z
        .literal(true)
        .optional()
        .describe("a visitor's own post on the Page instead of a comment (only post: any triggers hear it)"),
    }),
  ])
  .describe('someone comments under a Page post: bot: is the private reply, public_reply: the public one');

/** The public reply under a comment: its text exactly, or a part of it. */
const publicReplySchema = z.union([
  z.string().describe('the public reply, exactly'),
  z.strictObject({ contains: z.string().min(1).describe('a part of the public reply') }),
]);
export type ExpectedPublicReply = z.infer<typeof publicReplySchema>;

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const titles = z.array(z.string()).max(13);

/** One message the bot must send: its text exactly (a plain string), or an object of checks. */
export const expectedMessageSchema = z.union([
  z.string().describe('the message text, exactly'),
  z
    .strictObject({
      text: z.string().optional().describe('the text, exactly'),
      contains: z.string().optional().describe('a part of the text'),
      quick_replies: titles.optional().describe('the quick replies offered, by title, in order'),
      buttons: titles.optional().describe("the message's buttons, by title, in order"),
      cards: z.array(z.string()).max(10).optional().describe('the carousel cards, by title, in order'),
    })
    .refine((m) => Object.keys(m).length > 0, { message: 'say what to check: text, contains, quick_replies, buttons or cards' }),
]);
export type ExpectedMessage = z.infer<typeof expectedMessageSchema>;

const checks = {
  fields: z
    .record(z.string(), scalar.nullable())
    .optional()
    .describe("the customer's fields now: each value exactly; null: the field is not set"),
  tags: z.array(z.string()).optional().describe('tags the customer has now'),
  not_tags: z.array(z.string()).optional().describe('tags the customer does not have'),
  consent: z.record(z.string(), z.boolean()).optional().describe('topic: true (subscribed) or false (not subscribed)'),
  thread: z.enum(THREAD_STATES).optional().describe('who owns the conversation now: bot, handing_over, human or paused'),
};

const tapSchema = z.union([
  z.string().describe('the title of a quick reply or button the bot just offered'),
  z.strictObject({
    title: z.string(),
    card: z.string().optional().describe('the title of the carousel card whose button it is'),
  }),
]);

const person = z
  .union([z.enum(['takes_over', 'hands_back']), z.strictObject({ says: z.string().min(1) })])
  .describe('a person in the Page Inbox takes the conversation, hands it back to the bot, or writes to the customer');

/** A turn: at most one thing the customer (or a person) does, then what the bot must answer and checks on the customer. */
export const flowTestTurnSchema = z
  .strictObject({
    say: z.string().min(1).max(2000).optional().describe('the customer types this'),
    tap: tapSchema.optional(),
    get_started: z.literal(true).optional().describe('the customer taps Get Started'),
    postback: z.string().min(1).optional().describe("a persistent menu or ice breaker's payload, e.g. ORDER_STATUS"),
    ref: z.string().min(1).optional().describe('the customer opens an m.me link with ?ref=this'),
    ad: z
      .strictObject({ ref: z.string().optional(), ad_id: z.string().default('1') })
      .optional()
      .describe('the customer arrives from a click-to-Messenger ad'),
    attachment: z.enum(['image', 'video', 'audio', 'file']).optional().describe('the customer sends a photo, video…'),
    wait: durationSchema.optional(),
    person: person.optional(),
    comment: commentSchema.optional(),
    bot: z
      .array(expectedMessageSchema)
      .min(1)
      .max(FLOW_TEST_LIMITS.messages)
      .optional()
      .describe('every message the bot sends in answer, in order'),
    silent: z.literal(true).optional().describe('the bot sends nothing (after a comment: no private reply and no public one)'),
    public_reply: publicReplySchema
      .optional()
      .describe('after a comment: the public reply under it (without it, none is expected)'),
    handover: z.boolean().optional().describe('true: the bot passes the conversation to a person; false: it does not'),
    ...checks,
  })
  .describe('one turn: a customer action with what the bot answers, or checks alone');
export type FlowTestTurn = z.infer<typeof flowTestTurnSchema>;

export const ACTIONS = ['say', 'tap', 'get_started', 'postback', 'ref', 'ad', 'attachment', 'wait', 'person', 'comment'] as const;
export type ActionKey = (typeof ACTIONS)[number];
const CHECKS = ['fields', 'tags', 'not_tags', 'consent', 'thread'] as const;

const stubSchema = z
  .strictObject({
    node: z.string().optional().describe('the node making the request, as flow/node, e.g. shop/order_lookup'),
    url: z.string().optional().describe('or the URL it calls; * matches any characters'),
    outcome: z.enum(REQUEST_OUTCOMES).default('ok').describe('ok (2xx), not_found (4xx), failed (5xx), timeout'),
    status: z.number().int().min(100).max(599).optional(),
    json: z.unknown().optional().describe("the API's JSON answer"),
    once: z.boolean().default(false).describe('answer only the first matching request; the next stub answers later ones'),
  })
  .refine((s) => (s.node === undefined) !== (s.url === undefined), { message: 'give node or url (one of them)' });
export type RequestStubSpec = z.infer<typeof stubSchema>;

export const flowTestSchema = z
  .strictObject({
    name: z.string().min(1).max(200).describe('what the test shows, e.g. "a bad email is asked again"'),
    profile: z
      .strictObject({ first_name: z.string().optional(), locale: z.string().optional(), timezone: z.number().optional() })
      .optional()
      .describe("the customer's Messenger profile (default: none, so texts use settings' defaults)"),
    start: z.iso
      .datetime({ offset: true })
      .default('2026-11-23T15:00:00Z')
      .describe('the fixed clock at the first turn (default: Monday 2026-11-23 15:00 UTC)'),
    given: z
      .strictObject({
        fields: z.record(z.string(), scalar).default({}),
        tags: z.array(z.string()).default([]),
        ab: z
          .record(z.string(), z.string())
          .default({})
          .describe('pin an A/B choice: "flow:node" → the target node (else it follows from the fixed clock)'),
      })
      .optional()
      .describe('what the customer already has before the first turn'),
    requests: z.array(stubSchema).max(FLOW_TEST_LIMITS.stubs).default([]).describe("the stubbed answers of the flows' API calls"),
    turns: z.array(flowTestTurnSchema).min(1).max(FLOW_TEST_LIMITS.turns),
  })
  .superRefine((t, ctx) => {
    t.turns.forEach((turn, i) => {
      const actions = ACTIONS.filter((a) => turn[a] !== undefined);
      const at = (message: string) => ctx.addIssue({ code: 'custom', path: ['turns', i], message });
      if (actions.length > 1) at(`one action per turn, not ${actions.join(' and ')}: split it into turns`);
      if (turn.bot && turn.silent) at('bot and silent contradict each other: keep one');
      if (turn.public_reply !== undefined && turn.comment === undefined)
        at('public_reply answers a comment: add comment: to the turn');
      if (turn.public_reply !== undefined && turn.silent) at('public_reply and silent contradict each other: keep one');
      if (turn.comment !== undefined && (turn.bot?.length ?? 0) > 1)
        at('a comment gets one private reply at most: list one message under bot');
      const answered = turn.bot !== undefined || turn.silent !== undefined || turn.public_reply !== undefined;
      if (actions.length === 1 && !answered)
        at(`say what the bot answers: bot (its messages)${turn.comment ? ', public_reply' : ''} or silent: true`);
      if (actions.length === 0 && (answered || turn.handover !== undefined))
        at(`nothing happens in this turn for the bot to answer: add an action (${ACTIONS.join(', ')})`);
      if (actions.length === 0 && !CHECKS.some((c) => turn[c] !== undefined)) at('an empty turn: add an action or a check');
    });
  });
export type FlowTest = z.infer<typeof flowTestSchema>;
