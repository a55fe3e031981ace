import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every Prometheus metric Talkshop exports, on one registry per process. */
export interface MetricsSources {
  /** Items waiting per partition (index = partition); read at scrape time. */
  readonly pendingCounts?: () => Promise<readonly number[]>;
  /**
   * The process's own metrics (CPU, heap, event loop: prom-client's defaults); default true. With
   * several Pages each Page's registry leaves them out: /metrics shows them once (src/pagesMetrics.ts).
   */
  readonly processMetrics?: boolean;
}

/**
 * The families of the webhook's and the admin API's listeners: one each per process, whichever Page
 * a request is for, so with several Pages they gain no page label of the environment's Page
 * (talkshop_webhook_events_received_total has a page label of its own).
 */
export const LISTENER_METRICS: ReadonlySet<string> = new Set([
  'talkshop_webhook_events_received_total',
  'talkshop_webhook_events_deduped_total',
  'talkshop_webhook_events_ignored_total',
  'talkshop_webhook_events_other_page_total',
  'talkshop_webhook_requests_rejected_total',
  'talkshop_admin_auth_failures_total',
]);

export function createMetrics(sources: MetricsSources = {}) {
  const registry = new Registry();
  if (sources.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'talkshop_' });
  const registers = [registry];
  return {
    registry,
    eventsReceived: new Counter({
      name: 'talkshop_webhook_events_received_total',
      // `page` only when the deployment serves several Pages (PAGES_FILE): a one-Page deployment's series keep their labels.
      help: 'Webhook events accepted into the inbox, by kind and channel (and page, when several are served)',
      labelNames: ['kind', 'channel', 'page'] as const,
      registers,
    }),
    eventsDeduped: new Counter({
      name: 'talkshop_webhook_events_deduped_total',
      help: 'Webhook events dropped as redeliveries of an event already in the inbox',
      registers,
    }),
    eventsIgnored: new Counter({
      name: 'talkshop_webhook_events_ignored_total',
      help: 'Webhook events not routed (unknown kind, no user, malformed, not_page, other_page, too_old), by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    eventsOtherPage: new Counter({
      name: 'talkshop_webhook_events_other_page_total',
      help: 'Webhook events for a Page this deployment does not serve (ignored), by page; past 100 Pages, page="other"',
      labelNames: ['page'] as const,
      registers,
    }),
    requestsRejected: new Counter({
      name: 'talkshop_webhook_requests_rejected_total',
      help: 'Webhook requests answered with an error status, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    eventsApplied: new Counter({
      name: 'talkshop_events_applied_total',
      help: 'Inbox items applied (state committed), by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    commitRefused: new Counter({
      name: 'talkshop_commit_refused_total',
      help: 'Commits refused by the store (stale_version, lease_lost, already_applied)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    repliesLimited: new Counter({
      name: 'talkshop_user_replies_limited_total',
      help: 'Inbound events applied but not answered because their user wrote faster than USER_REPLIES_PER_MINUTE (burst USER_REPLY_BURST)',
      registers,
    }),
    usersPostponed: new Counter({
      name: 'talkshop_sender_users_postponed_total',
      help: "Times one user's delivery failed transiently and only that user waited (the rest of the partition went on)",
      registers,
    }),
    inboxSetAside: new Counter({
      name: 'talkshop_inbox_set_aside_total',
      help: 'Inbox items set aside instead of applied (attempts: failed INBOX_MAX_ATTEMPTS times; corrupt: unreadable), by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    handlerErrors: new Counter({
      name: 'talkshop_handler_errors_total',
      help: 'Inbox items whose handler threw; the item is applied as a no-op and logged',
      registers,
    }),
    handlerSeconds: new Histogram({
      name: 'talkshop_handler_duration_seconds',
      help: 'Time spent in the handler per inbox item',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5],
      registers,
    }),
    replyDelay: new Histogram({
      name: 'talkshop_reply_delay_seconds',
      help: 'A reply from webhook ingress to its Send API call, by stage: inbox (ingress to commit), outbox (commit to the call)',
      labelNames: ['stage'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    partitionsHeld: new Gauge({
      name: 'talkshop_worker_partitions_held',
      help: 'Inbox partitions this worker currently holds a lease on',
      registers,
    }),
    deliveries: new Counter({
      name: 'talkshop_deliveries_total',
      help: 'Outbox entries finished by the sender, by effect type and outcome (sent, refused_<reason>, unreachable…, not_a_send for consent and sequence, logged for warning, invalid_dropped for an unreadable entry)',
      labelNames: ['type', 'outcome'] as const,
      registers,
    }),
    recordsHeld: new Counter({
      name: 'talkshop_records_held_total',
      help: 'Inbox items and outbox entries from a newer Talkshop (reason: kind or version) left for a worker that knows them, once per record; their lane waits',
      labelNames: ['store', 'reason'] as const,
      registers,
    }),
    broadcastFanout: new Counter({
      name: 'talkshop_broadcast_fanout_total',
      help: "Broadcast items the fan-out put into users' inbox lanes (appended), and appends that were already there (duplicate: a step repeated after a crash)",
      labelNames: ['outcome'] as const,
      registers,
    }),
    broadcastCounts: new Counter({
      name: 'talkshop_broadcast_total',
      help: 'Broadcast outcomes as this process recorded them, by broadcast id and counter (targeted, queued, sent, skipped:<reason>, failed:<class>, delivered, read, clicked, replied, repeat); the exact totals across processes: GET /admin/broadcasts/:id',
      labelNames: ['broadcast', 'counter'] as const,
      registers,
    }),
    nodesReached: new Counter({
      name: 'talkshop_flow_node_reached_total',
      help: 'Users reaching a flow node, once per user, node and day (the flow funnel; per day and A/B variant: GET /admin/funnels/:flow)',
      labelNames: ['flow', 'node'] as const,
      registers,
    }),
    consentChanges: new Counter({
      name: 'talkshop_consent_changes_total',
      help: 'Consent changes recorded in the ledger, by source kind (flow, keyword, messenger, admin, other) and direction (subscribed, unsubscribed); counted when the sender passes their consent effect',
      labelNames: ['source', 'direction'] as const,
      registers,
    }),
    engineWarnings: new Counter({
      name: 'talkshop_engine_warnings_total',
      help: 'Flow problems the engine met while running (cycle, message_cap, missing_node), by code; each is logged at warn',
      labelNames: ['code'] as const,
      registers,
    }),
    questionModelChoices: new Counter({
      name: 'talkshop_question_model_choices_total',
      help: "The language model's answers for typed questions (chosen, none, invalid, failed, timeout); never with the text",
      labelNames: ['outcome'] as const,
      registers,
    }),
    graphErrors: new Counter({
      name: 'talkshop_graph_errors_total',
      help: 'Graph API errors met by the sender, by class (retryable, rate_limited, auth…)',
      labelNames: ['class'] as const,
      registers,
    }),
    graphBreakerOpen: new Gauge({
      name: 'talkshop_graph_breaker_open',
      help: '1 while Graph API calls are paused because Graph has not been answering (network errors, timeouts, 5xx in a row), else 0',
      registers,
    }),
    graphCalls: new Counter({
      name: 'talkshop_graph_calls_total',
      help: 'Graph API requests sent, whatever the answer, by call (message, sender_action, profile, thread_control, thread_owner, messenger_profile, marketing, other): Meta holds a Page to 300 Send API calls a second, sender actions included',
      labelNames: ['call'] as const,
      registers,
    }),
    storeRetries: new Counter({
      name: 'talkshop_sender_store_retries_total',
      help: 'Sender store calls that got no answer and were tried again, by operation (outbox ack, outbox cursor read, outbox read)',
      labelNames: ['operation'] as const,
      registers,
    }),
    partitionTaskRestarts: new Counter({
      name: 'talkshop_partition_task_restarts_total',
      help: 'Partition tasks (the sender beside the apply loop) that failed and were started again under the same lease',
      registers,
    }),
    adminAuthFailures: new Counter({
      name: 'talkshop_admin_auth_failures_total',
      help: 'Admin API requests refused before authentication, by reason: missing (no bearer token), invalid (no such token), throttled (429 after 10 failures from one address in a minute)',
      labelNames: ['reason'] as const,
      registers,
    }),
    notifications: new Counter({
      name: 'talkshop_agent_notifications_total',
      help: 'Agent notifications (someone asked for a person…) by outcome: delivered, failed',
      labelNames: ['outcome'] as const,
      registers,
    }),
    outboundRequests: new Counter({
      name: 'talkshop_outbound_requests_total',
      help: 'HTTP requests to outside APIs (flow requests and outgoing webhooks, src/requests/), by request name and outcome (2xx, 3xx, 4xx, 5xx, timeout, refused_<reason>, failed_<reason>)',
      labelNames: ['name', 'outcome'] as const,
      registers,
    }),
    outboundRequestSeconds: new Histogram({
      name: 'talkshop_outbound_request_duration_seconds',
      help: 'Time from asking for an outbound request to its outcome (waiting for a per-host slot included), by request name',
      labelNames: ['name'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    webhooksOut: new Counter({
      name: 'talkshop_outgoing_webhooks_total',
      help: 'Outgoing webhooks by name and outcome: enqueued, duplicate (same id enqueued again), refused (host not allowed, too large, queue full), delivered, retried, dropped (after webhooks.max_tries, or an answer that retrying cannot change)',
      labelNames: ['name', 'outcome'] as const,
      registers,
    }),
    inboxLag: new Gauge({
      name: 'talkshop_inbox_lag',
      help: 'Items waiting in each inbox partition (appended, not yet applied)',
      labelNames: ['partition'] as const,
      registers,
      async collect() {
        // A scrape while Redis is down keeps the last values rather than failing the scrape.
        const counts = await sources.pendingCounts?.().catch(() => undefined);
        counts?.forEach((n, partition) => this.set({ partition: String(partition) }, n));
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
