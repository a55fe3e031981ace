import type { z } from 'zod';
import { catalogQuerySchema } from '../../src/engine/catalogQuery';
import { flowSchema } from '../../src/engine/flowSchema';
import { questionSchema } from '../../src/engine/questionSchema';
import { requestSpecSchema } from '../../src/engine/requestSchema';

/** The messages a schema gives for `value`, by path: what the flow linter shows. */
function messages(schema: z.ZodType, value: unknown): Record<string, string> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return {};
  return Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message]));
}

const ID = 'use letters, digits, _ and - (at most 64)';
const FIELD = 'field names use letters, digits and _';
const TOO_LONG = 'n'.repeat(65);

describe('ids, node references and fields: one rule and one message in every part of the flow language', () => {
  it('a flow, its start node and an action', () => {
    const flow = { id: 'bad id', start: TOO_LONG, nodes: { a: { actions: [{ set: { '1st': 'x' } }] } } };
    expect(messages(flowSchema, flow)).toMatchObject({ id: ID, start: ID });
    expect(
      Object.values(
        messages(flowSchema, { id: 'f', start: 'a', nodes: { a: { ask: { text: 'q', capture: 'text', into: '9' } } } }),
      ),
    ).toEqual([FIELD]);
  });

  it("a request's outcomes, and a saved field's name (a record key: zod names the key)", () => {
    expect(messages(requestSpecSchema, { url: 'https://x', ok: '-a', save: { 'a-b': 'x' } })).toEqual({
      ok: ID,
      'save.a-b': 'Invalid key in record',
    });
  });

  it("a question's id and goto", () => {
    expect(messages(questionSchema, { id: '_q', phrasings: ['hi'], goto: 'shop:_a' })).toEqual({
      id: ID,
      goto: 'goto is a node of this flow ("shipping") or "<flow>:<node>" ("shop:order_status")',
    });
    expect(messages(questionSchema, { id: 'q', phrasings: ['hi'], goto: 'shop:order_status' })).toEqual({});
  });

  it("a catalog query's name and its empty goto", () => {
    expect(messages(catalogQuerySchema, { catalog: 'shoes.csv', empty: { goto: 'a b' } })).toEqual({
      catalog: 'a catalog is named by its file name without the extension: letters, digits, _ and -',
      'empty.goto': ID,
    });
    expect(messages(catalogQuerySchema, { catalog: 'shoes', where: { size: 40 }, empty: { goto: 'none' } })).toEqual({});
  });
});
