import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { regexRisk } from '../../src/flows/lintScope';

/*
 * The built-in matchers run on every customer message, so each regular expression in them must take
 * time linear in the text. Timings are not asserted (a slow machine would fail them, a fast one hide a
 * quadratic regex on short input); instead every regex literal in these files goes through the same
 * static ReDoS analysis the flow linter applies to flow authors' patterns.
 */
const FILES = ['src/engine/normalize.ts', 'src/engine/validateAnswer.ts'];

function regexLiterals(file: string): Array<{ pattern: string; flags: string }> {
  const text = readFileSync(join(__dirname, '..', '..', file), 'utf8');
  const found: Array<{ pattern: string; flags: string }> = [];
  const visit = (node: ts.Node): void => {
    if (ts.isRegularExpressionLiteral(node)) {
      const slash = node.text.lastIndexOf('/');
      found.push({ pattern: node.text.slice(1, slash), flags: node.text.slice(slash + 1) });
    }
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true));
  return found;
}

describe.each(FILES)('every regex in %s is linear', (file) => {
  const literals = regexLiterals(file);

  it('has regexes to check (the scan works)', () => {
    expect(literals.length).toBeGreaterThan(0);
  });

  it.each(literals.map((l) => [`/${l.pattern}/${l.flags}`, l] as const))('%s', (_shown, { pattern, flags }) => {
    // `g` and `y` change where a search starts, not how a match backtracks; recheck wants the rest.
    expect(regexRisk(pattern, flags.replace(/[gy]/g, ''))).toBeUndefined();
  });
});
