import { z } from 'zod';
import { WEEKDAYS, parseRange } from './businessHours';
import { messageSpecSchema } from './flowSchema';

/**
 * A drip sequence as marketers write it (FLOWS_DIR/sequences/*.yaml): a consent topic, and steps
 * that follow a subscription over days. Structure and types here; Meta's rules and references to
 * flows are the sequence linter's (src/flows/lintSequences.ts). `.describe()` texts feed the
 * published JSON Schema (schemas/sequence.schema.json).
 */

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lowercase letters, digits, _ and - (at most 64)');

const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** The longest delay of a step: a sequence is a follow-up, not a reminder service. */
export const MAX_STEP_DELAY_MS = 26 * UNITS.w;

/** "0m", "90m", "1h", "2d", "1w" → ms. */
const delaySchema = z
  .string()
  .describe('how long to wait: a number and a unit, m (minutes), h, d or w; e.g. 0m, 1h, 2d, 1w')
  .transform((s, ctx): number => {
    const m = /^(\d{1,5})(m|h|d|w)$/.exec(s);
    const ms = m ? Number(m[1]) * UNITS[m[2] as keyof typeof UNITS] : Number.NaN;
    if (Number.isFinite(ms) && ms <= MAX_STEP_DELAY_MS) return ms;
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a delay such as 0m, 90m, 1h, 2d or 1w (at most 26w)` });
    return z.NEVER;
  });

const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
const windowSchema = z
  .strictObject({
    hours: z
      .tuple([z.string().regex(hhmm, 'HH:MM'), z.string().regex(hhmm, 'HH:MM')])
      .optional()
      .describe('["09:00", "20:00"]: the step goes out only between these local times (start before end)'),
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7).optional().describe('the local weekdays it may go out on (default: every day)'),
  })
  .refine((w) => w.hours === undefined || parseRange(`${w.hours[0]}-${w.hours[1]}`) !== undefined, {
    message: 'hours: the start must be before the end, e.g. ["09:00", "20:00"]',
    path: ['hours'],
  })
  .describe("when the step may go out, in the user's own time zone");

const tags = ['CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE', 'ACCOUNT_UPDATE'] as const;

export const sequenceStepSchema = z
  .strictObject({
    id: id.describe('stable: statistics are kept per step id, and an edit applies to steps not yet sent'),
    delay: delaySchema,
    from: z
      .enum(['previous', 'subscription'])
      .default('previous')
      .describe('what the delay counts from: the previous step (default) or the subscription'),
    window: windowSchema.optional(),
    kind: z
      .enum(['promotional', 'tagged', 'marketing_message'])
      .describe("as for broadcasts: which of Meta's rules the step goes under"),
    tag: z.enum(tags).optional().describe('tagged steps: the non-promotional tag'),
    messages: z.array(messageSpecSchema).min(1).max(10).optional(),
    start: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}\/[a-z0-9][a-z0-9_-]{0,63}$/i, 'write FLOW/NODE, e.g. shop/welcome')
      .optional()
      .describe('or: start the user at this flow node (FLOW/NODE)'),
  })
  .superRefine((s, ctx) => {
    if ((s.messages === undefined) === (s.start === undefined))
      ctx.addIssue({ code: 'custom', message: 'a step sends either messages or start (a flow node), exactly one of them' });
    if (s.kind === 'tagged' && s.tag === undefined)
      ctx.addIssue({ code: 'custom', path: ['tag'], message: `a tagged step needs a tag: ${tags.join(', ')}` });
    if (s.kind !== 'tagged' && s.tag !== undefined)
      ctx.addIssue({ code: 'custom', path: ['tag'], message: 'only a tagged step has a tag' });
  });

export const sequenceSchema = z
  .strictObject({
    id: id.describe('what start_sequence and stop_sequence name'),
    name: z.string().min(1).max(200),
    topic: z
      .string()
      .min(1)
      .max(200)
      .describe('the consent topic a user must be subscribed to; a withdrawal (or STOP) ends the sequence'),
    steps: z.array(sequenceStepSchema).min(1).max(50),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.steps.forEach((step, i) => {
      if (seen.has(step.id))
        ctx.addIssue({ code: 'custom', path: ['steps', i, 'id'], message: `step id "${step.id}" is used twice` });
      seen.add(step.id);
    });
  });

export type Sequence = z.infer<typeof sequenceSchema>;
export type SequenceStep = z.infer<typeof sequenceStepSchema>;
