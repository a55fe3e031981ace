import { z } from 'zod';
import { audienceFilterSchema } from '../audience/audienceFilter';
import { broadcastSchema } from './broadcastSchema';

/**
 * The JSON Schema of broadcast files, generated from the zod schema and committed as
 * schemas/broadcast.schema.json so editors validate and autocomplete them (a test keeps the file
 * in sync). Draft-07, as for flows. The audience is parsed by a transform (it accepts two forms),
 * which JSON Schema cannot see through, so its two forms are described here.
 */
export function broadcastJsonSchema(): Record<string, unknown> {
  const filter = z.toJSONSchema(audienceFilterSchema, { io: 'input', target: 'draft-7' });
  delete filter.$schema;
  const where = {
    type: 'object',
    properties: { where: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 100 } },
    required: ['where'],
    additionalProperties: false,
  };
  const schema = z.toJSONSchema(broadcastSchema, { io: 'input', reused: 'ref', target: 'draft-7' });
  const definitions = (schema.definitions ?? {}) as Record<string, Record<string, unknown>>;
  definitions.audience = { description: definitions.audience?.description, anyOf: [filter, where] };
  return { ...schema, title: 'Talkshop broadcast', $id: 'https://talkshop.dev/schemas/broadcast.schema.json' };
}
