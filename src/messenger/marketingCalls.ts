import type { z } from 'zod';
import {
  adAccountIdSchema,
  marketingMessageRequestSchema,
  marketingMessageResponseSchema,
  messageCampaignRequestSchema,
  messageCampaignResponseSchema,
  NOTIFICATION_TOKENS_LIMIT,
  notificationMessageTokensPageSchema,
  type MarketingMessageRequest,
  type MessageCampaignRequest,
  type NotificationMessageTokensPage,
} from '../platform/graphRequestSchemas';

/**
 * The Marketing Message API for Messenger (docs/messenger-platform.md §4.3), as the three
 * GraphClient methods createGraphClient mixes in. Kept apart so graphClient.ts stays one screenful
 * of transport; the calls go through the client's own `call` (errors, logging, appsecret_proof)
 * and `validated` (an invalid request is refused with code 100 and never sent).
 */

/** The part of createGraphClient's call spec these calls use (spelled out: graphClient.ts imports this file). */
export interface MarketingCallSpec<S extends z.ZodType> {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly response: S;
}

export interface MarketingCallDeps {
  /** Performs one Graph call; rejects with a GraphApiError. */
  readonly call: <S extends z.ZodType>(spec: MarketingCallSpec<S>) => Promise<z.output<S>>;
  /** Parses `body` with `schema` or throws the code-100 GraphApiError Meta would have answered (sent: false). */
  readonly validated: <S extends z.ZodType>(schema: S, body: unknown, endpoint: string) => z.output<S>;
  readonly pageId: string;
}

export interface MarketingCalls {
  createMessageCampaign(adAccountId: string, request: MessageCampaignRequest): Promise<string>;
  sendMarketingMessage(
    adAccountId: string,
    request: MarketingMessageRequest,
  ): Promise<{ readonly messageId: string; readonly recipientId: string }>;
  notificationMessageTokens(after?: string): Promise<NotificationMessageTokensPage>;
}

/**
 * Tokens per page. Graph's maximum: a sync of a large Page then costs a tenth of the calls the
 * default (100) would, and each page is still only a few hundred kilobytes.
 */
export const TOKENS_PAGE_SIZE = NOTIFICATION_TOKENS_LIMIT.max;

export function marketingCalls({ call, validated, pageId }: MarketingCallDeps): MarketingCalls {
  /** The digits of an ad account id (`act_` optional), or the refusal naming the endpoint's template. */
  const account = (adAccountId: string, edge: string): string =>
    validated(adAccountIdSchema, adAccountId, `POST /act_<AD_ACCOUNT_ID>/${edge}`);

  return {
    async createMessageCampaign(adAccountId, request) {
      const path = `/act_${account(adAccountId, 'message_campaign')}/message_campaign`;
      const body = validated(messageCampaignRequestSchema, request, `POST ${path}`);
      const answer = await call({ method: 'POST', path, body, response: messageCampaignResponseSchema });
      return answer.id;
    },

    async sendMarketingMessage(adAccountId, request) {
      const path = `/act_${account(adAccountId, 'messages')}/messages`;
      const body = validated(marketingMessageRequestSchema, request, `POST ${path}`);
      const answer = await call({ method: 'POST', path, body, response: marketingMessageResponseSchema });
      // The send names a subscription token, and Meta's answer carries only the message id; the
      // token is never used in its place (it is a credential for messaging this person).
      const recipient = answer.recipient_id;
      return { messageId: answer.message_id, recipientId: typeof recipient === 'string' ? recipient : '' };
    },

    async notificationMessageTokens(after) {
      return call({
        method: 'GET',
        path: `/${encodeURIComponent(pageId)}/notification_message_tokens`,
        query: { limit: String(TOKENS_PAGE_SIZE), ...(after !== undefined && after !== '' ? { after } : {}) },
        response: notificationMessageTokensPageSchema,
      });
    },
  };
}
