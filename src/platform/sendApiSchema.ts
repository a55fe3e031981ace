import { z } from 'zod';

/**
 * Messenger's Send API limits and the zod schemas of what Talkshop sends. One definition serves
 * the flow linter, the engine's property tests, the sender and the fake Graph API, so "valid" means
 * the same thing everywhere. Numbers: docs/messenger-platform.md §3.
 */
export const LIMITS = {
  text: 2000,
  quickReplies: 13,
  quickReplyTitle: 20,
  buttonTitle: 20,
  payload: 1000,
  genericElements: 10,
  elementTitle: 80,
  elementSubtitle: 80,
  buttons: 3,
  buttonTemplateText: 640,
  metadata: 1000,
} as const;

/** Meta counts characters, not UTF-16 code units: an emoji is one. */
export const charCount = (s: string): number => [...s].length;
/**
 * Cuts a text to `max` characters (an ellipsis marks the cut): a user's own answer echoed into a
 * message, or a notice quoting a conversation, must not push it past Messenger's limit.
 */
export function clip(text: string, max: number = LIMITS.text): string {
  return charCount(text) <= max ? text : `${[...text].slice(0, max - 1).join('')}…`;
}

/** A string of 1 to `max` characters, counted as Meta counts them. */
export const chars = (max: number) =>
  z
    .string()
    .refine((s) => charCount(s) >= 1, { message: 'must not be empty' })
    .refine((s) => charCount(s) <= max, { message: `must be at most ${max} characters` });

export const httpsUrl = z.string().regex(/^https:\/\/[^\s/$.?#][^\s]*$/i, 'must be an https:// URL');

const postbackButton = z.strictObject({
  type: z.literal('postback'),
  title: chars(LIMITS.buttonTitle),
  payload: chars(LIMITS.payload),
});
const urlButton = z.strictObject({
  type: z.literal('web_url'),
  title: chars(LIMITS.buttonTitle),
  url: httpsUrl,
  webview_height_ratio: z.enum(['compact', 'tall', 'full']).optional(),
});
const callButton = z.strictObject({
  type: z.literal('phone_number'),
  title: chars(LIMITS.buttonTitle),
  payload: z.string().regex(/^\+\d{6,15}$/, 'must be +<country code><number>'),
});
export const buttonSchema = z.discriminatedUnion('type', [postbackButton, urlButton, callButton]);
export type SendButton = z.infer<typeof buttonSchema>;

export const quickReplySchema = z.discriminatedUnion('content_type', [
  z.strictObject({
    content_type: z.literal('text'),
    title: chars(LIMITS.quickReplyTitle),
    payload: chars(LIMITS.payload),
    image_url: httpsUrl.optional(),
  }),
  z.strictObject({ content_type: z.literal('user_email') }),
  z.strictObject({ content_type: z.literal('user_phone_number') }),
]);
export type SendQuickReply = z.infer<typeof quickReplySchema>;

const genericElement = z
  .strictObject({
    title: chars(LIMITS.elementTitle),
    subtitle: chars(LIMITS.elementSubtitle).optional(),
    image_url: httpsUrl.optional(),
    default_action: z.strictObject({ type: z.literal('web_url'), url: httpsUrl }).optional(),
    buttons: z.array(buttonSchema).min(1).max(LIMITS.buttons).optional(),
  })
  .refine((e) => e.subtitle || e.image_url || e.default_action || e.buttons, {
    message: 'needs a subtitle, image_url, default_action or buttons besides the title',
  });

const quickReplies = z.array(quickReplySchema).min(1).max(LIMITS.quickReplies).optional();
const metadata = chars(LIMITS.metadata).optional();

const templateAttachment = z.strictObject({
  type: z.literal('template'),
  payload: z.discriminatedUnion('template_type', [
    z.strictObject({
      template_type: z.literal('generic'),
      elements: z.array(genericElement).min(1).max(LIMITS.genericElements),
      image_aspect_ratio: z.enum(['horizontal', 'square']).optional(),
    }),
    z.strictObject({
      template_type: z.literal('button'),
      text: chars(LIMITS.buttonTemplateText),
      buttons: z.array(buttonSchema).min(1).max(LIMITS.buttons),
    }),
  ]),
});
const mediaAttachment = z.strictObject({
  type: z.enum(['image', 'video', 'audio', 'file']),
  payload: z.strictObject({ url: httpsUrl, is_reusable: z.boolean().optional() }),
});

export const messageSchema = z.union([
  z.strictObject({ text: chars(LIMITS.text), quick_replies: quickReplies, metadata }),
  z.strictObject({ attachment: z.union([templateAttachment, mediaAttachment]), quick_replies: quickReplies, metadata }),
]);
export type SendMessage = z.infer<typeof messageSchema>;

export const MESSAGE_TAGS = ['CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE', 'ACCOUNT_UPDATE', 'HUMAN_AGENT'] as const;
export type MessageTag = (typeof MESSAGE_TAGS)[number];

export const sendRequestSchema = z
  .strictObject({
    recipient: z.strictObject({ id: z.string().min(1) }),
    messaging_type: z.enum(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']),
    tag: z.enum(MESSAGE_TAGS).optional(),
    message: messageSchema,
  })
  .refine((r) => (r.messaging_type === 'MESSAGE_TAG') === (r.tag !== undefined), {
    message: 'tag is required with MESSAGE_TAG and only then',
    path: ['tag'],
  });
export type SendRequest = z.infer<typeof sendRequestSchema>;

export const senderActionSchema = z.strictObject({
  recipient: z.strictObject({ id: z.string().min(1) }),
  sender_action: z.enum(['typing_on', 'typing_off', 'mark_seen']),
});
