import { z } from 'zod';
import { ID_PATTERN, idSchema as id } from './schemaParts';

/**
 * Questions a flow answers from typed text (docs/flows.md, "Answering typed questions"): each has
 * several phrasings, in any language, and the node that answers it. Typed text that no keyword,
 * trigger or waiting `ask` claims is matched against every flow's phrasings (questionIndex.ts).
 */
/** Stop words are dropped per language; `lang` names the list (stopWords.ts). Any other tag keeps every word. */
const lang = z
  .string()
  .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})?$/i, 'a language tag such as en, fr, es or pt-BR')
  .describe('language of the phrasing: en, fr, es… (its stop words are dropped; default: every known list)');

export const MAX_PHRASINGS = 50;
export const MAX_PHRASING_LENGTH = 300;

export const phrasingSchema = z.union([
  z.string().min(1).max(MAX_PHRASING_LENGTH),
  z.strictObject({ text: z.string().min(1).max(MAX_PHRASING_LENGTH), lang }),
]);
export type Phrasing = z.infer<typeof phrasingSchema>;

export const questionSchema = z.strictObject({
  id: id.describe('unique across flows/'),
  title: z
    .string()
    .min(1)
    .max(20)
    .optional()
    .describe('what the "Did you mean…" quick reply shows (default: the first phrasing, cut to 20 characters)'),
  lang: lang.optional(),
  phrasings: z
    .array(phrasingSchema)
    .min(1)
    .max(MAX_PHRASINGS)
    .describe('ways customers ask it, in any language: a string, or { text, lang }'),
  goto: z
    .string()
    .regex(
      new RegExp(`^${ID_PATTERN}(:${ID_PATTERN})?$`, 'i'),
      'goto is a node of this flow ("shipping") or "<flow>:<node>" ("shop:order_status")',
    )
    .describe('the node that answers: a node of this flow, or "<flow>:<node>"'),
});
export type Question = z.infer<typeof questionSchema>;

/** The `questions:` section of settings.yaml: how sure the matcher must be to answer or to suggest. */
const ANSWER = 0.35;
const SUGGEST = 0.2;
const DID_YOU_MEAN = 'Did you mean…';
export const questionSettingsSchema = z
  .strictObject({
    answer_threshold: z
      .number()
      .min(0)
      .max(1)
      .default(ANSWER)
      .describe('confidence (0 to 1) at or above which the best question is answered at once'),
    suggest_threshold: z
      .number()
      .min(0)
      .max(1)
      .default(SUGGEST)
      .describe('confidence at or above which (and below answer_threshold) "Did you mean…" offers the best questions'),
    suggestions: z.number().int().min(1).max(3).default(3).describe('most questions "Did you mean…" offers'),
    did_you_mean: z.string().min(1).default(DID_YOU_MEAN).describe('the text above those quick replies'),
  })
  .default({ answer_threshold: ANSWER, suggest_threshold: SUGGEST, suggestions: 3, did_you_mean: DID_YOU_MEAN });
export type QuestionSettings = z.infer<typeof questionSettingsSchema>;

/** The target of a question's goto: its own flow unless it says "<flow>:<node>". */
export function questionTarget(flow: string, goto: string): { flow: string; node: string } {
  const at = goto.indexOf(':');
  return at < 0 ? { flow, node: goto } : { flow: goto.slice(0, at), node: goto.slice(at + 1) };
}
