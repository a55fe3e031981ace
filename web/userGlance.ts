import type { UserState } from '../src/engine/userState';
import { h } from './dom';

/**
 * A customer's state at a glance, for the agent's Page Inbox (web/agentPanel.ts): what GET
 * /admin/users/:psid answers, drawn as a definition list (where they are in the flows, who has
 * the thread, the 24 h window left by the demo's clock, consent, tags, fields) and the thread log.
 */

export type UserAnswer = Pick<
  UserState,
  'thread' | 'windowEndsAt' | 'fields' | 'tags' | 'consent' | 'transcript' | 'threadLog' | 'lastInboundAt'
> & { readonly psid: string; readonly position: { flow: string; node: string } | null };

export const THREAD_LABEL: Readonly<Record<UserState['thread'], string>> = {
  bot: 'with the bot',
  handing_over: 'being handed to a person',
  human: 'with a person',
  paused: 'bot paused',
};

/** A duration as a person reads it: "under a minute", "12 min", "3 h 5 min", "4 days". */
export function describeDuration(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 1) return 'under a minute';
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  return hours < 48 ? `${hours} h ${min % 60} min` : `${Math.floor(hours / 24)} days`;
}

/** The rows of the glance: a term and its description each. */
export function glanceRows(user: UserAnswer, now: number): HTMLElement[] {
  const left = user.windowEndsAt === null ? undefined : user.windowEndsAt - now;
  const consent = Object.entries(user.consent).map(([topic, c]) => `${topic}: ${c.subscribed ? 'yes' : 'no'}`);
  const fields = Object.entries(user.fields).map(([k, v]) => `${k} = ${String(v)}`);
  const rows: Array<[string, string]> = [
    ['Node', user.position ? `${user.position.flow} › ${user.position.node}` : 'none (between conversations)'],
    ['Thread', THREAD_LABEL[user.thread]],
    ['Window', left === undefined ? 'never opened' : left > 0 ? `${describeDuration(left)} left` : 'closed'],
    ['Consent', consent.join(', ') || 'none given'],
    ['Tags', user.tags.join(', ') || 'none'],
    ['Fields', fields.join(', ') || 'none'],
  ];
  return rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]);
}

/** Who had the thread when, and why: one item per change, oldest first. */
export function threadLogItems(user: UserAnswer): HTMLElement[] {
  if (user.threadLog.length === 0) return [h('li', {}, 'The thread has always been with the bot.')];
  return user.threadLog.map((e) =>
    h('li', {}, `${new Date(e.at).toLocaleTimeString()}: ${THREAD_LABEL[e.from]} → ${THREAD_LABEL[e.to]} (${e.cause})`),
  );
}
