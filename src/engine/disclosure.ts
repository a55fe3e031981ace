import { DAY_MS } from '../platform/messagingRules';
import { disclosureText, type DisclosureSettings } from './disclosureSettings';
import { fillText, type Run } from './run';

/**
 * Whether the customer should be told again that they talk to an automated assistant: never told
 * (first contact, or a user from before disclosures), or back after `after_silence_days` without
 * writing. `lastHeardAt` is their previous own action, before this event.
 */
export function disclosureDue(
  settings: DisclosureSettings,
  disclosedAt: number | null,
  lastHeardAt: number | null,
  now: number,
): boolean {
  if (!settings.enabled) return false;
  if (disclosedAt === null) return true;
  const days = settings.after_silence_days;
  return days > 0 && lastHeardAt !== null && now - lastHeardAt >= days * DAY_MS;
}

/**
 * Arms the disclosure for this event when it is due, in the locale of the user's Messenger profile:
 * run.ts `send` puts it before the event's first message. An event the bot does not answer sends
 * nothing, so the disclosure stays due for the next one.
 */
export function armDisclosure(run: Run, lastHeardAt: number | null): void {
  const settings = run.flows.settings.disclosure;
  if (!disclosureDue(settings, run.state.disclosedAt, lastHeardAt, run.now)) return;
  run.disclosure = fillText(run, disclosureText(settings, run.state.profile?.locale));
}
