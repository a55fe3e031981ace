import { z } from 'zod';
import { sequenceSchema } from '../engine/sequenceSchema';

/** What a delay looks like as written; its range (at most 26 weeks) only the loader can check. */
const DELAY_PATTERN = '^\\d{1,5}(m|h|d|w)$';

/**
 * The JSON Schema of sequence files (FLOWS_DIR/sequences/*.yaml), generated from the zod schema and
 * committed as schemas/sequence.schema.json so editors validate and autocomplete them (a test keeps
 * the file in sync). Draft-07, as for flows: what the YAML language server implements. A delay is
 * parsed by a transform, which JSON Schema cannot see through, so its pattern is added here.
 */
export function sequenceJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(sequenceSchema, { io: 'input', reused: 'ref', target: 'draft-7' });
  const definitions = (schema.definitions ?? {}) as Record<string, Record<string, unknown>>;
  const stepProperties = Object.values(definitions).find((d) => d.properties && 'delay' in (d.properties as object))
    ?.properties as Record<string, { $ref?: string } | undefined> | undefined;
  const ref = stepProperties?.delay?.$ref?.replace('#/definitions/', '');
  const delay = ref === undefined ? undefined : definitions[ref];
  if (!delay) throw new Error('sequenceJsonSchema: the step has no delay definition (did the zod schema change?)');
  delay.pattern = DELAY_PATTERN;
  return { ...schema, title: 'Talkshop drip sequence', $id: 'https://talkshop.dev/schemas/sequence.schema.json' };
}
