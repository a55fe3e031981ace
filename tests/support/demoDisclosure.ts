import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { settingsSchema } from '../../src/engine/flowSchema';
import { disclosureText } from '../../src/engine/disclosureSettings';

/**
 * The demo's disclosure (flows/settings.yaml `disclosure`, default locale): the engine makes it
 * the first paragraph of a new customer's first reply (docs/flows.md, "Disclosure").
 */
const settings = settingsSchema.parse(parse(readFileSync(join(__dirname, '..', '..', 'flows', 'settings.yaml'), 'utf8')));
export const DEMO_DISCLOSURE = disclosureText(settings.disclosure, undefined);

/** A new customer's first reply of the demo: the disclosure, a blank line, then the flow's text. */
export const disclosed = (text: string): string => `${DEMO_DISCLOSURE}\n\n${text}`;
