import { z } from 'zod';
import { sequenceSchema } from '../engine/sequenceSchema';

/**
 * The JSON Schema of sequence files (FLOWS_DIR/sequences/*.yaml), generated from the zod schema and
 * committed as schemas/sequence.schema.json so editors validate and autocomplete them (a test keeps
 * the file in sync). Draft-07, as for flows: what the YAML language server implements. A delay is
 * parsed by a transform; as input it is the string written, which is what an editor checks.
 */
export function sequenceJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(sequenceSchema, { io: 'input', reused: 'ref', target: 'draft-7' }),
    title: 'Talkshop drip sequence',
    $id: 'https://talkshop.dev/schemas/sequence.schema.json',
  };
}
