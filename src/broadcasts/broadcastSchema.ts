import { z } from 'zod';
import { audienceFilterSchema, type AudienceFilter } from '../audience/audienceFilter';
import { parseWhere } from '../audience/parseWhere';
import { messageSpecSchema } from '../engine/flowSchema';

/**
 * A broadcast definition: what a marketer writes in broadcasts/*.yaml (or sends to the admin API).
 * Structure and types are checked here; references to flows, Messenger's limits and Meta's rules
 * for each kind are the linter's job (lintBroadcast), which can name the line and the fix. The
 * runtime only ever receives a definition that passed both. `.describe()` texts feed the
 * published JSON Schema (schemas/broadcast.schema.json).
 */

/** The tags a broadcast may carry: Meta's non-promotional update tags. HUMAN_AGENT is a person's reply, never a broadcast. */
export const BROADCAST_TAGS = ['CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE', 'ACCOUNT_UPDATE'] as const;
export type BroadcastTag = (typeof BROADCAST_TAGS)[number];

export const HUMAN_AGENT_REFUSED =
  "HUMAN_AGENT is not allowed on a broadcast: Meta allows it only on a person's own reply to a customer within 7 days of their message, never on automated or bulk sends";

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lowercase letters, digits and - (at most 64), e.g. summer-sale-2026');
const topic = z.string().min(1).max(200).describe('the consent topic every recipient must be subscribed to');
const psid = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a PSID: letters, digits, _ and - (at most 64)');

/** `where:` clauses in the CLI's --where syntax, each parsed by the audience parser (so both forms mean the same). */
const whereAudience = z
  .strictObject({ where: z.array(z.string()).min(1).max(100).describe('clauses as for talkshop audience count --where') })
  .transform((a, ctx): AudienceFilter => {
    const all: AudienceFilter['all'][number][] = [];
    a.where.forEach((clause, i) => {
      const parsed = parseWhere([clause]);
      if (parsed.ok) all.push(...parsed.filter.all);
      else ctx.addIssue({ code: 'custom', path: ['where', i], message: parsed.problems[0] ?? `bad clause "${clause}"` });
    });
    return { all };
  });

/** Either form, told apart by its key, so an error is about the form that was written. */
export const broadcastAudienceSchema = z
  .unknown()
  .transform((value, ctx): AudienceFilter => {
    const schema = typeof value === 'object' && value !== null && 'where' in value ? whereAudience : audienceFilterSchema;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  })
  .meta({ id: 'audience', description: 'who: { all: [conditions] } (JSON filter) or { where: ["tag=vip", …] }' });

/** When to start: an instant with its offset, or each user's local time ("local 18:00"). Data only: the runtime interprets it. */
export type BroadcastAt =
  | { readonly kind: 'instant'; readonly iso: string; readonly ms: number }
  | { readonly kind: 'local'; readonly hour: number; readonly minute: number };

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const LOCAL = /^local ([01]\d|2[0-3]):([0-5]\d)$/;

const atSchema = z
  .string()
  .describe('ISO 8601 with an offset (2026-07-01T09:00:00+02:00), or "local HH:MM" for each user\'s local time')
  .transform((s, ctx): BroadcastAt => {
    const local = LOCAL.exec(s);
    if (local) return { kind: 'local', hour: Number(local[1]), minute: Number(local[2]) };
    const ms = ISO_WITH_OFFSET.test(s) ? Date.parse(s) : Number.NaN;
    if (Number.isFinite(ms)) return { kind: 'instant', iso: s, ms };
    ctx.addIssue({
      code: 'custom',
      message: `"${s}" is neither an ISO 8601 time with an offset (2026-07-01T09:00:00+02:00, or Z for UTC) nor "local HH:MM"`,
    });
    return z.NEVER;
  });

/** Per-user caps on proactive messages for this broadcast, overriding the settings' (0 = no proactive message). */
const capsSchema = z.strictObject({
  per_day: z.number().int().min(0).max(100).optional(),
  per_week: z.number().int().min(0).max(1000).optional(),
});

const common = {
  id: slug.describe('unique across broadcasts/; a user receives a broadcast at most once'),
  name: z.string().min(1).max(200),
  audience: broadcastAudienceSchema,
  messages: z.array(messageSpecSchema).min(1).max(10).optional().describe("what to send: the same messages as a flow node's say"),
  start: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}\/[a-z0-9][a-z0-9_-]{0,63}$/i, 'write FLOW/NODE, e.g. shop/welcome')
    .optional()
    .describe('or: start each user at this flow node (FLOW/NODE)'),
  at: atSchema.optional(),
  test_psids: z.array(psid).min(1).max(20).optional().describe("admins' own PSIDs: sent to them first, as a test"),
  caps: capsSchema.optional(),
};

const promotional = z.strictObject({
  ...common,
  kind: z.literal('promotional').describe('offers and news: only to users inside their messaging window'),
  topic,
});
const tagged = z.strictObject({
  ...common,
  kind: z.literal('tagged').describe('a non-promotional update, with a message tag, to the people it is true for'),
  tag: z.enum(BROADCAST_TAGS, {
    error: (issue) =>
      issue.input === 'HUMAN_AGENT'
        ? HUMAN_AGENT_REFUSED
        : `expected one of ${BROADCAST_TAGS.join(', ')} (got ${issue.input === undefined ? 'none' : JSON.stringify(issue.input)})`,
  }),
  topic: topic.optional(),
});
const marketingMessage = z.strictObject({
  ...common,
  kind: z.literal('marketing_message').describe("Meta's paid Marketing Messages API, to its subscribers"),
  topic,
});

export const broadcastSchema = z
  .discriminatedUnion('kind', [promotional, tagged, marketingMessage], {
    error: (issue) => (issue.code === 'invalid_union' ? 'kind must be promotional, tagged or marketing_message' : undefined),
  })
  .superRefine((b, ctx) => {
    if ((b.messages === undefined) === (b.start === undefined))
      ctx.addIssue({
        code: 'custom',
        path: b.messages ? ['start'] : [],
        message: 'a broadcast sends either messages or start (a flow node), exactly one of them',
      });
  });

export type Broadcast = z.infer<typeof broadcastSchema>;
export type BroadcastKind = Broadcast['kind'];
