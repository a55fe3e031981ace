import Ajv from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SCHEMA_FILES } from '../../src/cli/flowsCommand';
import { flowTestJsonSchema } from '../../src/flows/flowJsonSchema';

const root = join(__dirname, '..', '..');

describe('the published JSON Schema of conversation tests', () => {
  it('is in sync with the zod schema (regenerate: npm run flows:schema)', () => {
    expect(JSON.parse(readFileSync(join(root, SCHEMA_FILES.flowTest), 'utf8'))).toEqual(flowTestJsonSchema());
  });

  it("accepts the demo's tests and rejects a typo an editor should flag", () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(flowTestJsonSchema());
    const dir = join(root, 'flows', 'tests');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect([f, validate(parse(readFileSync(join(dir, f), 'utf8')))]).toEqual([f, true]);
    expect(validate({ name: 'x', turns: [{ say: 'hi', bots: ['hello'] }] })).toBe(false);
  });
});
