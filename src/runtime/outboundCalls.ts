import type { FlowSet } from '../engine/flowSet';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { enqueueWebhook, type EnqueueWebhookOutcome, type WebhookRequest } from '../requests/enqueueWebhook';
import { createRequester } from '../requests/safeRequester';
import { startWebhookPump, webhookSigningKey, type WebhookPump } from '../requests/webhookPump';
import type { Store } from '../store/ports';
import { ConfigError } from '../errors';
import { checkUrl } from '../requests/urlPolicy';
import { FlowRequests } from './flowRequests';
import type { QuestionModelSettings } from './questionModelCall';

/** What a worker process calls outside Meta: flows' requests and their outgoing webhooks. */
export interface OutboundCalls {
  readonly requests: FlowRequests;
  /** Queues an outgoing webhook; absent when the store has no queue or no signing key is set. */
  readonly webhooks?: (request: WebhookRequest) => Promise<EnqueueWebhookOutcome>;
  /** Stops the webhook pump (tries in flight are left to their lease) and closes the connections. */
  stop(): Promise<void>;
}

export interface OutboundCallsOptions {
  readonly flows: FlowSet;
  readonly store: Store;
  readonly pageId: string;
  /** Secrets and the webhook signing key are read from here, at the moment they are needed. */
  readonly env: (name: string) => string | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** The language model that may choose among the questions (QUESTIONS_LLM_*); absent: off. */
  readonly questionModel?: QuestionModelSettings;
}

/**
 * One requester (the settings' allow-list, address checks and caps) for both. The webhook pump
 * runs only where the signing key is set: flows that send webhooks refuse to start without it
 * (ConfigError), and flows that do not need none.
 */
export function startOutboundCalls(o: OutboundCallsOptions): OutboundCalls {
  const { settings } = o.flows;
  const { logger, metrics, now } = o;
  const questionModel = o.questionModel;
  // The model is called through the same requester: its host must be allowed like any other.
  const refused = questionModel && checkUrl(settings.requests, questionModel.url);
  if (refused && !refused.ok)
    throw new ConfigError([
      `QUESTIONS_LLM_URL: refused by settings.yaml requests (${refused.reason}): list its host under requests.hosts (http: true for http://, private: true for a local address)`,
    ]);
  const requester = createRequester({ settings: settings.requests, secrets: o.env, logger, metrics });
  const requests = new FlowRequests({
    requester,
    store: o.store,
    pageId: o.pageId,
    logger,
    metrics,
    now,
    sleep: o.sleep,
    ...(questionModel ? { questionModel, questions: o.flows.questions } : {}),
  });
  const queue = o.store.webhooks;
  const needed = usesWebhooks(o.flows);
  const keySet = o.env(settings.webhooks.signing_secret) !== undefined;
  let pump: WebhookPump | undefined;
  if (needed || keySet) {
    const signingKey = webhookSigningKey(settings.webhooks, o.env); // throws ConfigError when missing or short
    if (queue) pump = startWebhookPump({ queue, requester, settings, signingKey, logger, metrics, now });
  }
  return {
    requests,
    ...(pump && queue
      ? { webhooks: (request: WebhookRequest) => enqueueWebhook(queue, settings.requests, request, now(), { metrics, logger }) }
      : {}),
    async stop() {
      await pump?.stop();
      await requester.close();
    },
  };
}

/** Whether any node or control of the flows has a `webhook` action. */
export function usesWebhooks(flows: FlowSet): boolean {
  const seen = new Set<unknown>();
  const walk = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return false;
    seen.add(v);
    if (Array.isArray(v)) return v.some(walk);
    const record = v as Record<string, unknown>;
    if ('webhook' in record && typeof record.webhook === 'object' && record.webhook !== null && 'url' in record.webhook)
      return true;
    return Object.values(record).some(walk);
  };
  return [...flows.flows.values()].some((f) => walk(f.flow.nodes));
}
