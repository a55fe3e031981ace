import { z } from 'zod';

/**
 * Audience filters: JSON for the admin API (and what `--where` clauses parse into). A filter is a
 * list of conditions that must all hold; `{ "any": [...] }` is a condition that holds when one of
 * its conditions does. Validated at every edge with these schemas.
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const name = z.string().min(1).max(200);
const THREAD = ['bot', 'handing_over', 'human', 'paused'] as const;

const tagCondition = z.strictObject({ tag: name, has: z.boolean().default(true) });

const fieldCondition = z
  .strictObject({
    field: name,
    equals: scalar.optional(),
    notEquals: scalar.optional(),
    in: z.array(scalar).min(1).max(1000).optional(),
    exists: z.boolean().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    contains: z.string().min(1).optional(),
  })
  .refine((c) => Object.keys(c).length > 1, {
    message: 'a field condition needs an operator: equals, notEquals, in, exists, gt, gte, lt, lte or contains',
  });

const consentCondition = z.strictObject({ consent: name, subscribed: z.boolean() });

const windowCondition = z
  .strictObject({ window: z.enum(['open', 'closed']).optional(), closesWithinHours: z.number().positive().optional() })
  .refine((c) => c.window !== undefined || c.closesWithinHours !== undefined, {
    message: 'a window condition needs window ("open" or "closed") or closesWithinHours',
  });

/** The customer's last own action: within the last N hours, or longer ago; or before/after a time (ms). */
const lastCondition = z
  .strictObject({
    lastInteraction: z.strictObject({
      withinHours: z.number().positive().optional(),
      olderThanHours: z.number().positive().optional(),
      before: z.number().optional(),
      after: z.number().optional(),
    }),
  })
  .refine((c) => Object.keys(c.lastInteraction).length > 0, {
    message: 'lastInteraction needs withinHours, olderThanHours, before or after',
  });

const refCondition = z.strictObject({ ref: name });
/** The latest referral's source (ADS, SHORTLINK, CUSTOMER_CHAT_PLUGIN…; any case) or its ad id. */
const sourceCondition = z.strictObject({ source: name });
const adCondition = z.strictObject({ adId: name });
const positionCondition = z.strictObject({ flow: name, node: name.optional() });
const threadCondition = z.strictObject({ thread: z.enum(THREAD) });
const tokenCondition = z.strictObject({ marketingToken: z.boolean() });

export type Condition =
  | z.infer<typeof tagCondition>
  | z.infer<typeof fieldCondition>
  | z.infer<typeof consentCondition>
  | z.infer<typeof windowCondition>
  | z.infer<typeof lastCondition>
  | z.infer<typeof refCondition>
  | z.infer<typeof sourceCondition>
  | z.infer<typeof adCondition>
  | z.infer<typeof positionCondition>
  | z.infer<typeof threadCondition>
  | z.infer<typeof tokenCondition>
  | { readonly any: readonly Condition[] };

const anyCondition = z.strictObject({
  any: z
    .array(z.lazy(() => conditionSchema))
    .min(1)
    .max(100),
});

/** Which schema a condition object is checked against, by the key it names (so errors are about that kind). */
const BRANCHES: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['any', anyCondition],
  ['tag', tagCondition],
  ['field', fieldCondition],
  ['consent', consentCondition],
  ['window', windowCondition],
  ['closesWithinHours', windowCondition],
  ['lastInteraction', lastCondition],
  ['ref', refCondition],
  ['source', sourceCondition],
  ['adId', adCondition],
  ['flow', positionCondition],
  ['thread', threadCondition],
  ['marketingToken', tokenCondition],
];

export const conditionSchema: z.ZodType<Condition> = z.unknown().transform((value, ctx): Condition => {
  const branch = typeof value === 'object' && value !== null ? BRANCHES.find(([key]) => key in value) : undefined;
  if (!branch) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a condition: an object with one of ${BRANCHES.map(([k]) => k).join(', ')}`,
    });
    return z.NEVER;
  }
  const parsed = branch[1].safeParse(value);
  if (parsed.success) return parsed.data as Condition;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});

/** Every condition must hold. An empty list is everyone. */
export const audienceFilterSchema = z.strictObject({ all: z.array(conditionSchema).max(100) });
export type AudienceFilter = z.infer<typeof audienceFilterSchema>;
