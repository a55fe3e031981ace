import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import type { z } from 'zod';
import { flowTestSchema, type FlowTest } from './flowTestSchema';
import { listDir, type Problem } from './problem';
import { lineOf, parseYamlDocument, schemaIssues, syntaxErrors } from './yamlDocument';

/** Where conversation tests live, inside the flows directory. */
export const FLOW_TESTS_DIR = 'tests';
export const FLOW_TEST_SCHEMA_FILE = 'schemas/flow-test.schema.json';
/** A test file is read whole: a bigger one is a mistake (a log pasted in), not a test. */
const MAX_TEST_FILE_BYTES = 512 * 1024;
const TEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** A test as loaded: its file, and the line of each turn (for failures). */
export interface LoadedFlowTest {
  readonly file: string;
  readonly test: FlowTest;
  readonly turnLines: readonly number[];
}

export type FlowTestsOutcome =
  | { readonly ok: true; readonly tests: readonly LoadedFlowTest[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

const fixFor = () => `see docs/flows.md "Testing conversations", or let your editor validate against ${FLOW_TEST_SCHEMA_FILE}`;

/**
 * A union's "Invalid input" made useful: when every form but one failed only for being the wrong
 * type (`comment: { text, age: a week }` is not a string), that one form's own issues are what
 * the author got wrong, at their own paths.
 */
function unwrapUnions(issues: readonly z.core.$ZodIssue[]): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((issue) => {
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
    const wrongType = (errs: readonly z.core.$ZodIssue[]) =>
      errs.length === 1 && errs[0]?.code === 'invalid_type' && errs[0].path.length === 0;
    const meant = issue.errors.filter((errs) => !wrongType(errs));
    if (meant.length !== 1) return [issue];
    return unwrapUnions(meant[0] ?? []).map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
  });
}

function loadOne(path: string): { test?: LoadedFlowTest; problems: Problem[] } {
  const file = relative(process.cwd(), path) || path;
  if (statSync(path).size > MAX_TEST_FILE_BYTES)
    return {
      problems: [
        { severity: 'error', file, message: `over ${MAX_TEST_FILE_BYTES / 1024} KiB`, fix: 'split it into smaller tests' },
      ],
    };
  const y = parseYamlDocument(readFileSync(path, 'utf8'));
  if (y.doc.errors.length > 0)
    return {
      problems: syntaxErrors(y).map((e) => ({
        severity: 'error',
        file,
        line: e.line,
        message: e.message,
        fix: 'fix the YAML syntax at that line',
      })),
    };
  const parsed = flowTestSchema.safeParse(y.doc.toJS());
  if (!parsed.success) return { problems: schemaIssues(file, y, { issues: unwrapUnions(parsed.error.issues) }, fixFor) };
  const turnLines = parsed.data.turns.map((_, i) => lineOf(y, ['turns', i]) ?? 1);
  return { test: { file, test: parsed.data, turnLines }, problems: [] };
}

/** Every test file in `dir` read and validated, and the problems of those that are not valid. */
function loadAll(dir: string): { tests: LoadedFlowTest[]; problems: Problem[] } {
  const listed = listDir(dir, (n) => TEST_EXTENSIONS.has(extname(n)), 'tests', `add test files to ${dir} (see docs/flows.md)`);
  if (!listed.ok) return { tests: [], problems: listed.problems };
  const tests: LoadedFlowTest[] = [];
  const problems: Problem[] = [];
  for (const name of listed.names) {
    const one = loadOne(join(dir, name));
    problems.push(...one.problems);
    if (one.test) tests.push(one.test);
  }
  return { tests, problems };
}

/** Reads and validates every test file in `dir` (sorted by name); any invalid file refuses the run. */
export function loadFlowTests(dir: string): FlowTestsOutcome {
  const { tests, problems } = loadAll(dir);
  if (problems.length > 0) return { ok: false, problems };
  if (tests.length === 0)
    return {
      ok: false,
      problems: [
        { severity: 'error', file: dir, message: 'no test files (*.yaml)', fix: 'add one; see flows/tests/ and docs/flows.md' },
      ],
    };
  return { ok: true, tests };
}

/**
 * `flows check`'s look at the tests: each file valid against the test schema (not run: that is
 * `flows test`). Flows without tests are fine here, so a missing or empty folder is no problem.
 */
export function checkFlowTests(dir: string): { readonly files: number; readonly problems: readonly Problem[] } {
  if (!existsSync(dir)) return { files: 0, problems: [] };
  const { tests, problems } = loadAll(dir);
  return { files: tests.length, problems };
}
