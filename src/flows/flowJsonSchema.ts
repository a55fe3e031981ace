import { z } from 'zod';
import { flowSchema, settingsSchema } from './flowSchema';

/**
 * JSON Schemas generated from the zod schemas, committed under schemas/ so editors validate and
 * autocomplete flow YAML (a test keeps the files in sync with the code).
 */
export function flowJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(flowSchema, { io: 'input', reused: 'ref' }), title: 'Talkshop flow', $id: 'https://talkshop.dev/schemas/flow.schema.json' };
}

export function settingsJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(settingsSchema, { io: 'input', reused: 'ref' }), title: 'Talkshop flow settings', $id: 'https://talkshop.dev/schemas/settings.schema.json' };
}
