import { z } from 'zod';
import { flowSchema, settingsSchema } from '../engine/flowSchema';
import { flowTestSchema } from './flowTestSchema';

/**
 * JSON Schemas generated from the zod schemas, committed under schemas/ so editors validate and
 * autocomplete flow YAML (a test keeps the files in sync with the code). Draft-07, because that
 * is what the YAML language server (VS Code, JetBrains) implements.
 */
export function flowJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(flowSchema, { io: 'input', reused: 'ref', target: 'draft-7' }),
    title: 'Talkshop flow',
    $id: 'https://talkshop.dev/schemas/flow.schema.json',
  };
}

export function settingsJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(settingsSchema, { io: 'input', reused: 'ref', target: 'draft-7' }),
    title: 'Talkshop flow settings',
    $id: 'https://talkshop.dev/schemas/settings.schema.json',
  };
}

export function flowTestJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(flowTestSchema, { io: 'input', reused: 'ref', target: 'draft-7' }),
    title: 'Talkshop conversation test',
    $id: 'https://talkshop.dev/schemas/flow-test.schema.json',
  };
}
