import { z } from 'zod';
import { requestSettingsSchema, webhookSettingsSchema } from './requestSettings';
import { requestSpecSchema, webhookActionSchema } from './requestSchema';
import { catalogQuerySchema } from './catalogQuery';
import { PAGE_INBOX_APP_ID } from '../platform/messagingRules';
import { isTimeZone, parseRange, WEEKDAYS } from './businessHours';
import { disclosureSettingsSchema } from './disclosureSettings';
import { questionSchema, questionSettingsSchema } from './questionSchema';
import { commentSettingsSchema, commentSpecSchema } from './commentSchema';
import { fieldSchema as field, idSchema as id, nodeRefSchema as nodeRef } from './schemaParts';

/**
 * The flow language: what a marketer writes in flows/*.yaml. Structure and types are checked
 * here; cross-references, reachability and Messenger's limits are the linter's job (lintFlows),
 * which can name the node and suggest the fix. `.describe()` texts feed the published JSON Schema.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

export const conditionSchema = z.union([
  z.strictObject({
    field,
    equals: scalar.optional(),
    not_equals: scalar.optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    in: z.array(scalar).optional(),
    matches: z.string().optional().describe('a regular expression'),
    exists: z.boolean().optional(),
  }),
  z.strictObject({ tag: z.string() }),
  z.strictObject({ not_tag: z.string() }),
  z.strictObject({ subscribed: z.string().describe('consent topic') }),
  z.strictObject({ not_subscribed: z.string() }),
  z.strictObject({
    time: z.strictObject({
      between: z
        .tuple([z.string().regex(/^\d\d:\d\d$/), z.string().regex(/^\d\d:\d\d$/)])
        .optional()
        .describe('["09:00","17:30"], local to tz'),
      days: z.array(z.enum(WEEKDAYS)).optional(),
      tz: z.string().default('UTC').describe('IANA time zone, e.g. Europe/Paris'),
    }),
  }),
]);
export type Condition = z.infer<typeof conditionSchema>;

export const actionSchema = z.union([
  z.strictObject({ set: z.record(field, scalar).describe('fields to set; strings may use {{field}}') }),
  z.strictObject({ increment: z.union([field, z.strictObject({ field, by: z.number().default(1) })]) }),
  z.strictObject({ unset: z.union([field, z.array(field)]) }),
  z.strictObject({ tag: z.union([z.string(), z.array(z.string())]) }),
  z.strictObject({ untag: z.union([z.string(), z.array(z.string())]) }),
  z.strictObject({ subscribe: z.string().describe('consent topic, e.g. offers') }),
  z.strictObject({ unsubscribe: z.string() }),
  z.strictObject({ start_sequence: id }),
  z.strictObject({ stop_sequence: id }),
  z.strictObject({
    // `- handover:` with no value (YAML null) means the defaults, like `- handover: {}`.
    handover: z
      .strictObject({ reason: z.string().default('requested') })
      .nullable()
      .default({ reason: 'requested' })
      .transform((h) => h ?? { reason: 'requested' }),
  }),
  z.strictObject({ notify: z.string().describe('message to the admins; may use {{field}}') }),
  z.strictObject({ goto: nodeRef }),
  webhookActionSchema,
]);
export type Action = z.infer<typeof actionSchema>;

/** What tapping a button or quick reply does: jump, run actions, or both. */
const control = {
  goto: nodeRef.optional(),
  actions: z.array(actionSchema).optional(),
  payload: z.string().optional().describe('only to connect external ads or menus; generated otherwise'),
};

export const quickReplySpecSchema = z.union([
  z.strictObject({ title: z.string(), image_url: z.string().optional(), ...control }),
  z.strictObject({ type: z.enum(['email', 'phone']).describe("Messenger's own quick reply with the user's email or phone") }),
]);
export const buttonSpecSchema = z.union([
  z.strictObject({ title: z.string(), url: z.string().describe('https:// link') }),
  z.strictObject({ title: z.string(), call: z.string().describe('+<country code><number>') }),
  z.strictObject({ title: z.string(), ...control }),
]);
export const cardSpecSchema = z.strictObject({
  title: z.string(),
  subtitle: z.string().optional(),
  image_url: z.string().optional(),
  url: z.string().optional().describe('opened when the card itself is tapped'),
  buttons: z.array(buttonSpecSchema).optional(),
});

const common = {
  quick_replies: z.array(quickReplySpecSchema).optional(),
  promotional: z.boolean().optional().describe('offers, deals: only ever sent inside the 24 h window'),
};
export const messageSpecSchema = z.union([
  z.strictObject({ text: z.string(), buttons: z.array(buttonSpecSchema).optional(), ...common }),
  z.strictObject({ cards: z.array(cardSpecSchema), square_images: z.boolean().optional(), ...common }),
  z.strictObject({ image: z.string(), ...common }),
  z.strictObject({ video: z.string(), ...common }),
  z.strictObject({ file: z.string(), ...common }),
  z.strictObject({ typing: z.number().int().min(100).max(20_000).describe('show "typing…" for this many ms') }),
]);
export type MessageSpec = z.infer<typeof messageSpecSchema>;

export const CAPTURE_TYPES = ['email', 'phone', 'number', 'text', 'choice', 'regex', 'date'] as const;
export const askSchema = z.strictObject({
  text: z.string().describe('the question'),
  capture: z.enum(CAPTURE_TYPES),
  into: field.describe('the field the answer is stored in'),
  min: z.number().optional().describe('number: smallest value; text: fewest characters'),
  max: z.number().optional().describe('number: largest value; text: most characters'),
  pattern: z.string().optional().describe('regex capture: the regular expression'),
  choices: z.array(z.strictObject({ title: z.string(), value: scalar.optional(), goto: nodeRef.optional() })).optional(),
  invalid: z.string().optional().describe('said when the answer does not validate'),
  retries: z.number().int().min(0).max(10).default(2),
  on_fail: nodeRef.optional().describe('where to go after the last failed retry (required by the linter)'),
  next: nodeRef.optional().describe("where to go after a valid answer (default: the node's next)"),
});
export type Ask = z.infer<typeof askSchema>;

export const nodeSchema = z.strictObject({
  actions: z.array(actionSchema).optional().describe('run on entering the node, before it speaks'),
  say: z.array(messageSpecSchema).optional(),
  products: catalogQuerySchema
    .optional()
    .describe(
      'after say: a carousel from a catalog in flows/catalogs/, filtered by the user\'s fields (docs/flows.md, "Catalogs")',
    ),
  ask: askSchema.optional(),
  branch: z
    .array(
      z.union([
        z.strictObject({ if: z.union([conditionSchema, z.array(conditionSchema)]), goto: nodeRef }),
        z.strictObject({ else: nodeRef }),
      ]),
    )
    .optional()
    .describe('first matching `if` wins; `else` last'),
  randomize: z
    .array(z.strictObject({ weight: z.number().positive(), goto: nodeRef }))
    .optional()
    .describe('sticky A/B split per user'),
  handover: z.strictObject({ message: z.string().optional(), reason: z.string().default('requested') }).optional(),
  request: requestSpecSchema
    .optional()
    .describe('call an API after speaking, then continue by its outcome (docs/flows.md, "Requests")'),
  next: nodeRef.optional().describe('continue to this node without waiting'),
  wait: z.literal(true).optional().describe('stop here and wait for the user (quick replies/buttons imply it)'),
  end: z.literal(true).optional().describe('the conversation deliberately ends here'),
});
export type FlowNode = z.infer<typeof nodeSchema>;

export const triggerSchema = z.union([
  z.strictObject({ get_started: z.literal(true), goto: nodeRef.optional() }),
  z.strictObject({
    keyword: z.union([z.string(), z.array(z.string())]),
    match: z.enum(['exact', 'contains', 'regex']).default('exact'),
    goto: nodeRef.optional(),
  }),
  z.strictObject({ ref: z.string().describe('m.me/<page>?ref=… or an ad referral ref'), goto: nodeRef.optional() }),
  z.strictObject({
    postback: z.string().describe('a payload from outside flows (persistent menu, ads)'),
    goto: nodeRef.optional(),
  }),
  z.strictObject({
    optin: z.union([z.literal(true), z.string()]).describe('any opt-in, or one with this payload/ref'),
    goto: nodeRef.optional(),
  }),
  z.strictObject({
    comment: commentSpecSchema.describe(
      'a comment on a Page post (or a visitor post) with one of these keywords: the goto node\'s message goes as a private reply (docs/flows.md, "Comments to Messenger")',
    ),
    goto: nodeRef.optional(),
  }),
]);
export type Trigger = z.infer<typeof triggerSchema>;

export const flowSchema = z.strictObject({
  id: id.describe('unique across flows/'),
  title: z.string().optional(),
  start: nodeRef,
  entry: nodeRef.optional().describe('where users whose node was removed continue (default: start)'),
  triggers: z.array(triggerSchema).default([]),
  nodes: z.record(id, nodeSchema),
  fallback: z
    .strictObject({
      text: z.string(),
      escalate_after: z.number().int().min(1).max(10).optional().describe('consecutive misunderstandings before escalation'),
      escalate: z.enum(['offer', 'handover']).default('offer'),
    })
    .optional(),
  questions: z
    .array(questionSchema)
    .max(500)
    .optional()
    .describe(
      'questions typed text is matched against, each with the node that answers it (docs/flows.md, "Answering typed questions")',
    ),
});
export type Flow = z.infer<typeof flowSchema>;

const STOPPED = "You're unsubscribed. Send START any time to subscribe again.";
const ALREADY_STOPPED = "You're already unsubscribed. Send START any time to subscribe again.";
const STARTED = "You're subscribed. Send STOP any time to unsubscribe.";
const START_ASK = 'Which updates would you like to get again?';
const START_DECLINED = 'OK, nothing has changed.';
const REQUEST_FAILED = "Sorry, I can't check that right now. Please try again in a few minutes.";
const REQUEST_WAIT = 'One moment, I am checking…';
const AFTER_HOURS =
  'Our team is away right now and will be back {{next_open}}. Leave your message here and a person will reply then.';
/** Meta's Page Inbox: where a handover goes unless settings name another app. */
export const GRANT_POLICIES = ['when_idle', 'always', 'never'] as const;

const OPENING_HOURS = /^(closed|([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00))$/;
const openingHours = z
  .string()
  .regex(OPENING_HOURS, 'use "HH:MM-HH:MM" on a 24-hour clock (e.g. "09:00-18:00"; the end may be "24:00") or "closed"')
  // Only well-formed hours can be in the wrong order (one message per mistake).
  .refine(
    (h) => !OPENING_HOURS.test(h) || h === 'closed' || parseRange(h) !== undefined,
    'the closing time must be after the opening time; for hours past midnight, close at "24:00" and open the next day at "00:00"',
  )
  .optional()
  .describe('"09:00-18:00" or "closed"; a day not listed is closed');

const handoverSettings = z
  .strictObject({
    // A YAML number would be read as a float: a long app id could silently lose digits.
    app_id: z
      .string({ error: 'app_id must be a quoted string of digits, e.g. "263902037430900"' })
      .regex(/^\d{1,20}$/, 'app_id must be digits only, e.g. "263902037430900" (the Page Inbox)')
      .default(PAGE_INBOX_APP_ID)
      .describe('the app that gets the conversation: the Page Inbox (263902037430900) or your agent app'),
    resume_at: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{0,63}(:[a-z0-9][a-z0-9_-]{0,63})?$/i,
        'resume_at is "<flow>:<node>" (e.g. "shop:menu"), or "<flow>" for its entry node',
      )
      .optional()
      .describe(
        '"<flow>:<node>" (or "<flow>" for its entry): entered after the welcome-back; default: wait at the default flow\'s entry',
      ),
    business_hours: z
      .strictObject({
        timezone: z
          .string()
          .refine(isTimeZone, {
            error: (iss) =>
              `timezone ${JSON.stringify(iss.input)} is not a known IANA time zone; use a name like "Europe/Paris" or "America/New_York"`,
          })
          .describe('IANA time zone of the hours, e.g. Europe/Paris'),
        hours: z.strictObject({
          mon: openingHours,
          tue: openingHours,
          wed: openingHours,
          thu: openingHours,
          fri: openingHours,
          sat: openingHours,
          sun: openingHours,
        }),
      })
      .optional()
      .describe('when people answer; outside them a handover also sends messages.handover_after_hours'),
    grant_requests: z
      .enum(GRANT_POLICIES)
      .default('when_idle')
      .describe(
        'another app asking for the conversation (request_thread_control): when_idle = unless a question waits for its answer; always; never',
      ),
  })
  .default({ app_id: PAGE_INBOX_APP_ID, grant_requests: 'when_idle' });

export const settingsSchema = z.strictObject({
  keywords: z
    .strictObject({
      stop: z.array(z.string()).default(['stop', 'unsubscribe']),
      start: z.array(z.string()).default(['start', 'subscribe']),
      menu: z.array(z.string()).default(['menu']),
      human: z.array(z.string()).default(['human', 'agent', 'talk to a person']),
    })
    .default({
      stop: ['stop', 'unsubscribe'],
      start: ['start', 'subscribe'],
      menu: ['menu'],
      human: ['human', 'agent', 'talk to a person'],
    }),
  default_flow: id.optional().describe('flow whose start node answers users in no flow (default: the first flow)'),
  topic: z
    .string()
    .default('offers')
    .describe('consent topic the start keyword offers when the user withdrew none (stop withdraws every topic)'),
  topic_titles: z
    .record(z.string(), z.string())
    .default({})
    .describe("what the start question's quick reply shows for a topic (1 to 20 characters; default: the topic itself)"),
  messages: z
    .strictObject({
      stopped: z
        .string()
        .default(STOPPED)
        .describe('reply to stop: every topic and running sequence was withdrawn (sent once; see already_stopped)'),
      already_stopped: z
        .string()
        .default(ALREADY_STOPPED)
        .describe('reply to stop when nothing was left to withdraw; empty = say nothing'),
      started: z.string().default(STARTED).describe('reply to tapping a topic in the start question; may use {{topic}}'),
      start_ask: z
        .string()
        .default(START_ASK)
        .describe('the start keyword asks this, with one quick reply per withdrawn topic (see topic_titles)'),
      start_no_thanks: z
        .string()
        .default('No thanks')
        .describe("the start question's quick reply that changes nothing (1 to 20 characters)"),
      start_declined: z.string().default(START_DECLINED).describe('reply to that quick reply; empty = say nothing'),
      handover: z.string().default('Connecting you with a person. They will reply here.'),
      offer_human: z.string().default('Would you like to talk to a person?'),
      offer_human_button: z.string().default('Talk to a person'),
      welcome_back: z
        .string()
        .default("Hi again! You're chatting with our automated assistant now. Type MENU to see what I can do."),
      handover_after_hours: z
        .string()
        .default(AFTER_HOURS)
        .describe(
          'sent after the handover message outside handover.business_hours; {{next_open}} says when, e.g. "tomorrow at 09:00"',
        ),
      request_failed: z
        .string()
        .default(REQUEST_FAILED)
        .describe("a flow's request failed and its node names no branch for that outcome"),
      request_wait: z
        .string()
        .default(REQUEST_WAIT)
        .describe("said (once per request) when the customer writes while a flow's request is out"),
    })
    .default({
      stopped: STOPPED,
      already_stopped: ALREADY_STOPPED,
      started: STARTED,
      start_ask: START_ASK,
      start_no_thanks: 'No thanks',
      start_declined: START_DECLINED,
      handover: 'Connecting you with a person. They will reply here.',
      offer_human: 'Would you like to talk to a person?',
      offer_human_button: 'Talk to a person',
      welcome_back: "Hi again! You're chatting with our automated assistant now. Type MENU to see what I can do.",
      handover_after_hours: AFTER_HOURS,
      request_failed: REQUEST_FAILED,
      request_wait: REQUEST_WAIT,
    }),
  handover: handoverSettings,
  handover_timeout_minutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(120)
    .describe(
      'the bot takes the thread back after this long without a message from the person or the customer (0 = never); keep it well under 24 h so the welcome-back still falls inside the messaging window',
    ),
  pause_on_agent_reply: z
    .boolean()
    .default(true)
    .describe('a person replying from the Page Inbox while the bot owns the thread pauses the bot for that user'),
  max_messages_per_event: z.number().int().min(1).max(30).default(10),
  timezone: z
    .string()
    .refine(isTimeZone, 'an IANA time zone such as Europe/Paris')
    .optional()
    .describe("the Page's time zone: local-hour sends use it for users whose own zone is unknown (default UTC)"),
  proactive_caps: z
    .strictObject({
      per_day: z.number().int().min(0).max(100).optional(),
      per_week: z.number().int().min(0).max(1000).optional(),
    })
    .default({})
    .describe(
      'most proactive messages (broadcasts and sequence steps together) one user gets per day and per week; a broadcast may set its own caps',
    ),
  defaults: z.record(field, scalar).default({ first_name: 'there' }).describe('value of {{field}} when the user has none'),
  requests: requestSettingsSchema.describe('the APIs flows may call (docs/flows.md, "Requests")'),
  webhooks: webhookSettingsSchema.describe('outgoing webhooks: tries and the signing key'),
  tests: z
    .strictObject({
      min_coverage: z
        .number()
        .min(0)
        .max(100)
        .default(0)
        .describe('talkshop flows test fails below this percentage of nodes whose output a test checked (0: no minimum)'),
    })
    .default({ min_coverage: 0 })
    .describe('the conversation tests in flows/tests/ (docs/flows.md, "Testing conversations")'),
  questions: questionSettingsSchema.describe('how sure the matcher of typed questions must be to answer or to suggest'),
  comments: commentSettingsSchema.describe('private replies to comments (docs/flows.md, "Comments to Messenger")'),
  disclosure: disclosureSettingsSchema.describe(
    'saying the customer is talking to an automated assistant (docs/flows.md, "Disclosure: saying it is a bot")',
  ),
});
export type Settings = z.infer<typeof settingsSchema>;
