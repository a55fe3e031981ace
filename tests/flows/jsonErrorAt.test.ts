/** jsonErrorAt: where JSON text stops being JSON, for the catalog loader's line numbers. */
import fc from 'fast-check';
import { jsonErrorAt } from '../../src/flows/jsonErrorAt';

describe('jsonErrorAt', () => {
  it('finds nothing wrong in any JSON that JSON.stringify writes, indented or not', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (value, indent) => {
        expect(jsonErrorAt(JSON.stringify(value, null, indent))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('points at the first character a parser must refuse', () => {
    const cases: Array<[string, number]> = [
      ['[\n {"id": }\n]', 10],
      ['[1,]', 3],
      ['[1 2]', 3],
      ['{"a":1 "b":2}', 7],
      ['{a:1}', 1],
      ['[01]', 2],
      ['["tab\there"]', 5],
      ['"\\1', 2],
      ['["\\u12G4"]', 3],
      ['[1,2', 4],
      ['[] x', 3],
      ['', 0],
    ];
    for (const [text, at] of cases) expect([text, jsonErrorAt(text)]).toEqual([text, at]);
  });

  it('agrees with JSON.parse on what is valid', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(
            '[',
            ']',
            '{',
            '}',
            ',',
            ':',
            '"',
            '1',
            '0',
            '-',
            '.',
            'e',
            'E',
            '+',
            'a',
            'u',
            ' ',
            '\n',
            '\u0001',
            'true',
            'null',
            '\\',
            '\\u00e9',
            'A0',
          ),
        }),
        (text) => {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          expect(jsonErrorAt(text) === undefined).toBe(valid);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses nesting deeper than 512 without overflowing the stack', () => {
    expect(jsonErrorAt('['.repeat(100_000))).toBe(512);
    expect(jsonErrorAt(`${'['.repeat(500)}${']'.repeat(500)}`)).toBeUndefined();
  });
});

describe('jsonErrorAt on long strings', () => {
  it('scans a string of millions of characters (a regex would overflow the stack)', () => {
    const long = `["${'a'.repeat(15_000_000)}", x]`;
    expect(jsonErrorAt(long)).toBe(long.length - 2);
  });
});
