import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SCHEMA_FILES } from '../../src/cli/flowsCommand';
import { sequenceJsonSchema } from '../../src/flows/sequenceJsonSchema';

const root = join(__dirname, '..', '..');
const sample = parse(readFileSync(join(root, 'flows', 'sequences', 'running-tips.yaml'), 'utf8')) as {
  steps: Array<Record<string, unknown>>;
};

describe('schemas/sequence.schema.json', () => {
  it('is in sync with the zod schema (regenerate: npm run flows:schema)', () => {
    expect(SCHEMA_FILES.sequence).toBe('schemas/sequence.schema.json');
    expect(JSON.parse(readFileSync(join(root, SCHEMA_FILES.sequence), 'utf8'))).toEqual(sequenceJsonSchema());
  });

  it('accepts the shipped sequence and rejects what an editor should flag', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(sequenceJsonSchema());
    expect(validate(sample)).toBe(true);
    const step = (change: Record<string, unknown>) => ({ ...sample, steps: [{ ...sample.steps[0], ...change }] });
    expect(validate({ ...sample, topc: 'tips' })).toBe(false);
    expect(validate(step({ delay: '2 days' }))).toBe(false);
    expect(validate(step({ delay: '2d' }))).toBe(true);
    expect(validate(step({ kind: 'newsletter' }))).toBe(false);
    expect(validate(step({ window: { hours: ['9:00', '20:00'] } }))).toBe(false);
    expect(validate(step({ from: 'start' }))).toBe(false);
  });

  it('the sample files point editors at it', () => {
    const text = readFileSync(join(root, 'flows', 'sequences', 'running-tips.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/sequence.schema.json');
  });
});
