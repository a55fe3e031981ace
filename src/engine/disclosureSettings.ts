import { z } from 'zod';

/**
 * The `disclosure:` section of settings.yaml: telling the customer they are talking to an
 * automated assistant (docs/flows.md, "Disclosure: saying it is a bot"). On by default; a Page
 * where no law asks for it may turn it off (the linter then wants the default flow's first
 * message to say it).
 */
export const DISCLOSURE_TEXT = "You're chatting with an automated assistant. Type HUMAN any time to reach a person.";

/** `default`, a language (`fr`) or a Messenger locale (`fr_FR`), as the user profile gives it. */
const localeKey = z
  .string()
  .regex(/^(default|[a-z]{2,3}(_[A-Z]{2})?)$/, 'use "default", a language such as "fr", or a locale such as "fr_FR"');

export const disclosureSettingsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('say the customer is talking to an automated assistant (turn off only where no law asks for it)'),
    after_silence_days: z
      .number()
      .int()
      .min(0)
      .max(3650)
      .default(30)
      .describe('say it again when the customer writes after this many days without writing (0 = at first contact only)'),
    messages: z
      .record(localeKey, z.string().min(1, 'a disclosure must say something').max(640))
      .default({ default: DISCLOSURE_TEXT })
      .describe('the text per locale of the user\'s Messenger profile ("fr_FR", then "fr", then "default"); may use {{field}}'),
  })
  .default({ enabled: true, after_silence_days: 30, messages: { default: DISCLOSURE_TEXT } });
export type DisclosureSettings = z.infer<typeof disclosureSettingsSchema>;

/** The text for a Messenger locale: the locale itself, then its language, then `default` (the built-in text without one). */
export function disclosureText(settings: DisclosureSettings, locale: string | undefined): string {
  const { messages } = settings;
  const language = locale?.split('_', 1)[0];
  return (
    (locale === undefined ? undefined : messages[locale]) ??
    (language === undefined ? undefined : messages[language]) ??
    messages.default ??
    DISCLOSURE_TEXT
  );
}
