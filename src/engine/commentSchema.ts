import { z } from 'zod';

/*
 * Comments to Messenger (docs/flows.md, "Comments to Messenger"): a flow's `comment` trigger and
 * the settings that bound it. Meta's rules (docs/messenger-platform.md §4.3b): one private reply per
 * comment or visitor post, within 7 days of it; the conversation goes on only once the person answers.
 */

/** Most keywords one comment trigger lists; each is matched against every comment. */
export const MAX_COMMENT_KEYWORDS = 50;

/** Longest public reply: Meta's comment limit is far higher, but a public reply is one short line. */
export const PUBLIC_REPLY_MAX = 500;

/** A post id, or `any`: comments on any of the Page's posts, and visitors' own posts on the Page. */
export const ANY_POST = 'any';

/** A trigger's `comment:` (flowSchema.ts puts it in the trigger union with the usual `goto`). */
export const commentSpecSchema = z.strictObject({
  keywords: z
    .array(z.string())
    .max(MAX_COMMENT_KEYWORDS)
    .describe('words or phrases a comment must contain (the linter wants at least one)'),
  match: z
    .enum(['contains', 'exact', 'regex'])
    .default('contains')
    .describe('how a keyword matches the comment (default contains: whole words)'),
  post: z
    .string()
    .min(1)
    .max(128)
    .default(ANY_POST)
    .describe("the post whose comments count (its id, e.g. 123_456), or 'any' (also visitors' posts on the Page)"),
  reply: z
    .string()
    .optional()
    .describe(`a public reply under the comment, at most once per comment (at most ${PUBLIC_REPLY_MAX} characters)`),
});
export type CommentSpec = z.infer<typeof commentSpecSchema>;

export const commentSettingsSchema = z
  .strictObject({
    private_replies_per_day: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(1)
      .describe(
        'most private replies one person gets in 24 hours, whatever the post: a further matching comment gets its public reply, if any, and no message',
      ),
  })
  .default({ private_replies_per_day: 1 });
export type CommentSettings = z.infer<typeof commentSettingsSchema>;
