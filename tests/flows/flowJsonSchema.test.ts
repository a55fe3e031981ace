import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SCHEMA_FILES } from '../../src/cli/flowsCommand';
import { flowJsonSchema, settingsJsonSchema } from '../../src/flows/flowJsonSchema';

const root = join(__dirname, '..', '..');
const read = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));

describe('published JSON Schemas', () => {
  it('are in sync with the zod schemas (regenerate: npm run flows:schema)', () => {
    expect(read(SCHEMA_FILES.flow)).toEqual(flowJsonSchema());
    expect(read(SCHEMA_FILES.settings)).toEqual(settingsJsonSchema());
  });

  it('accept the shipped flows and reject a typo an editor should flag', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validateFlow = ajv.compile(flowJsonSchema());
    const shop = parse(readFileSync(join(root, 'flows', 'shop.yaml'), 'utf8')) as Record<string, unknown>;
    expect(validateFlow(shop)).toBe(true);
    expect(validateFlow({ ...shop, strat: 'welcome' })).toBe(false);
    const validateSettings = ajv.compile(settingsJsonSchema());
    expect(validateSettings(parse(readFileSync(join(root, 'flows', 'settings.yaml'), 'utf8')))).toBe(true);
  });
});
