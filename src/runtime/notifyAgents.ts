import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { clip } from '../platform/sendApiSchema';

export interface AgentNotice {
  readonly psid: string;
  readonly reason: string;
  readonly text: string;
  /** The last few messages, oldest first, so the agent knows what it is about. */
  readonly lastMessages: ReadonlyArray<{ readonly from: string; readonly text: string }>;
}

export interface NotifierOptions {
  readonly url: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly attempts?: number;
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Slack's mrkdwn turns `<!channel>`, `<@U123>` and `<https://x|label>` into pings and disguised
 * links; these three characters are all it asks to be escaped. Every piece of the notice that came
 * from outside (a customer's words, names, field values) goes through this, so only Talkshop's own
 * formatting is ever read as markup.
 */
export const escapeSlack = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A quoted line stays quoted: a customer's line break cannot start a line that looks like ours. */
const quote = (s: string): string => `> ${escapeSlack(s).replace(/\r\n?|\n/g, '\n> ')}`;

/**
 * Slack incoming-webhook compatible: `text` is what Slack shows (customer text escaped, link
 * previews off, so a customer's URL is neither disguised nor fetched); `talkshop` carries the data.
 */
export function noticeBody(n: AgentNotice): Record<string, unknown> {
  const quoted = n.lastMessages.map((m) => quote(`${m.from}: ${m.text}`)).join('\n');
  const head = noticeHead({ ...n, text: escapeSlack(n.text), psid: escapeSlack(n.psid), reason: escapeSlack(n.reason) });
  return { text: `${head}${quoted ? `\n${quoted}` : ''}`, unfurl_links: false, unfurl_media: false, talkshop: n };
}

/** Who and why, the first lines of every notice. */
const noticeHead = (n: AgentNotice): string => `🙋 ${n.text}\nCustomer: ${n.psid} · reason: ${n.reason}`;

/** The notice as a Messenger message to a staff member: plain text within Messenger's 2,000 characters. */
export function staffNoticeText(n: AgentNotice): string {
  const head = `${noticeHead(n)}\nOpen the Page Inbox to answer.`;
  const quoted = n.lastMessages.map((m) => `${m.from === 'user' ? 'Customer' : 'Agent'}: ${m.text}`).join('\n');
  const full = quoted ? `${head}\n${quoted}` : head;
  return clip(full);
}

/**
 * Tells the agents through a webhook (e.g. a Slack incoming webhook). Runs in the background with
 * a few retries: a slow or failing webhook never holds up the conversation. A notice lost to a
 * crash mid-retry is not redelivered (at most once), which the README states.
 */
export function createNotifier(o: NotifierOptions): (notice: AgentNotice) => void {
  const attempts = o.attempts ?? 3;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deliver = async (notice: AgentNotice): Promise<void> => {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(noticeBody(notice)),
          signal: AbortSignal.timeout(o.timeoutMs ?? 3000),
        });
        if (res.ok) return void o.metrics.notifications.inc({ outcome: 'delivered' });
        if (res.status < 500 && res.status !== 429) break; // the webhook refuses it: retrying will not help
      } catch {
        // network error or timeout: retry
      }
      if (attempt < attempts) await sleep(500 * 2 ** (attempt - 1));
    }
    o.metrics.notifications.inc({ outcome: 'failed' });
    o.logger.warn({ reason: notice.reason, psid: notice.psid }, 'agent notification could not be delivered');
  };
  return (notice) => void deliver(notice);
}
