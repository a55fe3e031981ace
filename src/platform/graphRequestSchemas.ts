import { z } from 'zod';
import { chars, httpsUrl, LIMITS, messageSchema } from './sendApiSchema';

/**
 * zod schemas of the Graph requests Talkshop makes besides the Send API (sendApiSchema.ts):
 * thread control (docs/messenger-platform.md §5.2), the Messenger Profile (§4.4), the user profile
 * fields and the Marketing Message API for Messenger (§4.3). The Graph client validates what it sends with them and the fake Graph API validates what
 * it receives with the same ones.
 */

const recipient = z.strictObject({ id: z.string().min(1) });
const metadata = chars(LIMITS.metadata).optional();
/** Graph accepts app ids as strings or numbers; we send strings. */
const appId = z.union([z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be an app id'), z.number().int().positive()]).transform(String);

export const passThreadControlSchema = z.strictObject({ recipient, target_app_id: appId, metadata });
export const takeThreadControlSchema = z.strictObject({ recipient, metadata });
export const requestThreadControlSchema = z.strictObject({ recipient, metadata });
export const releaseThreadControlSchema = z.strictObject({ recipient });

/** `{ success: true }` — the answer to the four thread-control calls. */
export const successResponseSchema = z.looseObject({ success: z.boolean() });

export const USER_PROFILE_FIELDS = ['first_name', 'last_name', 'profile_pic', 'locale', 'timezone'] as const;
export type UserProfileField = (typeof USER_PROFILE_FIELDS)[number];
export const userProfileSchema = z.looseObject({
  id: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  profile_pic: z.string().optional(),
  locale: z.string().optional(),
  timezone: z.number().optional(),
});
export interface UserProfile {
  readonly first_name?: string;
  readonly last_name?: string;
  readonly profile_pic?: string;
  readonly locale?: string;
  readonly timezone?: number;
}

/** Messenger Profile limits (§4.4). Menu title 30 and ice-breaker question 80 are inferred, not in the digest. */
export const PROFILE_LIMITS = {
  greetingText: 160,
  iceBreakers: 4,
  iceBreakerQuestion: 80,
  persistentMenuItems: 20,
  menuItemTitle: 30,
  whitelistedDomains: 50,
} as const;

/** A list of per-locale entries: one must be `default`, none twice. */
const localized = <T extends z.ZodType<{ locale: string }>>(item: T) =>
  z
    .array(item)
    .min(1)
    .refine((xs) => xs.some((x) => x.locale === 'default'), { message: 'needs an entry with locale "default"' })
    .refine((xs) => new Set(xs.map((x) => x.locale)).size === xs.length, { message: 'has a locale twice' });
const locale = z.string().regex(/^(default|[a-z]{2,3}_[A-Z]{2})$/, 'must be "default" or like en_US');

const menuItem = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('postback'), title: chars(PROFILE_LIMITS.menuItemTitle), payload: chars(LIMITS.payload) }),
  z.strictObject({
    type: z.literal('web_url'),
    title: chars(PROFILE_LIMITS.menuItemTitle),
    url: httpsUrl,
    webview_height_ratio: z.enum(['compact', 'tall', 'full']).optional(),
  }),
]);

/** HTTPS, a host name with a dot, no IP address, no localhost. */
export const whitelistedDomain = z
  .string()
  .regex(
    /^https:\/\/[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d{1,5})?\/?$/i,
    'must be an https:// domain (no IP address, no localhost)',
  );

export const messengerProfileSchema = z
  .strictObject({
    get_started: z.strictObject({ payload: chars(LIMITS.payload) }).optional(),
    greeting: localized(z.strictObject({ locale, text: chars(PROFILE_LIMITS.greetingText) })).optional(),
    ice_breakers: localized(
      z.strictObject({
        locale,
        call_to_actions: z
          .array(z.strictObject({ question: chars(PROFILE_LIMITS.iceBreakerQuestion), payload: chars(LIMITS.payload) }))
          .min(1)
          .max(PROFILE_LIMITS.iceBreakers),
      }),
    ).optional(),
    persistent_menu: localized(
      z.strictObject({
        locale,
        composer_input_disabled: z.boolean().optional(),
        call_to_actions: z.array(menuItem).min(1).max(PROFILE_LIMITS.persistentMenuItems),
      }),
    ).optional(),
    whitelisted_domains: z.array(whitelistedDomain).min(1).max(PROFILE_LIMITS.whitelistedDomains).optional(),
    account_linking_url: httpsUrl.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, { message: 'must set at least one field' });
export type MessengerProfile = z.infer<typeof messengerProfileSchema>;

export const MESSENGER_PROFILE_FIELDS = [
  'get_started',
  'greeting',
  'ice_breakers',
  'persistent_menu',
  'whitelisted_domains',
  'account_linking_url',
] as const;
export type MessengerProfileField = (typeof MESSENGER_PROFILE_FIELDS)[number];

export const deleteMessengerProfileSchema = z.strictObject({
  fields: z.array(z.enum(MESSENGER_PROFILE_FIELDS)).min(1),
});

// ---- Marketing Message API for Messenger (docs/messenger-platform.md §4.3) ----

/** An ad account id as it appears in paths (`act_<digits>`) or settings (digits). */
export const adAccountIdSchema = z
  .string()
  .regex(/^(act_)?\d{1,30}$/, 'must be an ad account id (digits, optionally prefixed act_)')
  .transform((s) => s.replace(/^act_/, ''));

/** Graph numbers arrive as numbers or numeric strings (form posts); budgets are in the account's minor units. */
const graphAmount = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

/**
 * `POST act_<AD_ACCOUNT_ID>/message_campaign`: one campaign (objective, subscriber audience, budget)
 * under which messages are sent. Checked loosely: the digest documents the fields, not every value,
 * so unknown fields pass and only the name is required.
 */
export const messageCampaignRequestSchema = z.looseObject({
  name: chars(400),
  objective: z.string().min(1).optional(),
  daily_budget: graphAmount.optional(),
  lifetime_budget: graphAmount.optional(),
  status: z.enum(['ACTIVE', 'PAUSED']).optional(),
});
export type MessageCampaignRequest = z.infer<typeof messageCampaignRequestSchema>;
/** The campaign's message id, given to every send under it. */
export const messageCampaignResponseSchema = z.looseObject({ id: z.string().min(1) });

/**
 * `POST act_<AD_ACCOUNT_ID>/messages`: one marketing message to one subscriber, named by the
 * subscription token from their opt-in (never the PSID). The message is the Send API's.
 */
export const marketingMessageRequestSchema = z.strictObject({
  message_id: z.string().min(1),
  messenger_delivery_data: z.strictObject({ subscription_token: z.string().min(1) }),
  message: messageSchema,
});
export type MarketingMessageRequest = z.infer<typeof marketingMessageRequestSchema>;
export const marketingMessageResponseSchema = z.looseObject({ message_id: z.string().min(1) });

export const NOTIFICATION_TOKENS_LIMIT = { default: 100, max: 1000 } as const;
/** Graph times here are unix seconds, as numbers or strings. */
const unixTime = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);
/** One subscriber of `GET /<PAGE_ID>/notification_message_tokens`, with the documented fields. */
export const notificationMessageTokenSchema = z.looseObject({
  notification_messages_token: z.string().min(1),
  recipient_id: z.string().min(1),
  notification_messages_reoptin: z.enum(['ENABLED', 'DISABLED']).optional(),
  creation_timestamp: unixTime.optional(),
  token_expiry_timestamp: unixTime.optional(),
  user_token_status: z.enum(['REFRESHED', 'NOT_REFRESHED']).optional(),
  topic_title: z.string().optional(),
  notification_messages_timezone: z.string().optional(),
  next_eligible_time: unixTime.optional(),
});
export type NotificationMessageToken = z.infer<typeof notificationMessageTokenSchema>;
/** One page of tokens; `paging.next` is absent on the last page. */
export const notificationMessageTokensPageSchema = z.looseObject({
  data: z.array(notificationMessageTokenSchema),
  paging: z
    .looseObject({
      cursors: z.looseObject({ before: z.string().optional(), after: z.string().optional() }).optional(),
      next: z.string().optional(),
    })
    .optional(),
});
export type NotificationMessageTokensPage = z.infer<typeof notificationMessageTokensPageSchema>;

/** Formats a zod issue path the way Graph names params: `message[quick_replies][0][title]`. */
export function graphParamPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (i === 0 ? String(p) : `[${String(p)}]`)).join('');
}

type Issue = z.core.$ZodIssue;

/** Flattens union failures: of a union's branches, the one with the fewest problems is reported. */
function flatten(issues: readonly Issue[], prefix: ReadonlyArray<PropertyKey>): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (best.length > 0) return flatten(best, path);
    }
    return [{ path, message: issue.message }];
  });
}

/** One line per problem, never the offending value (it may be a message text). */
export function describeIssues(error: z.ZodError): string {
  return flatten(error.issues, [])
    .map(({ path, message }) => {
      const where = graphParamPath(path);
      return where === '' ? message : `param ${where}: ${message}`;
    })
    .join('; ');
}
