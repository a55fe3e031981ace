import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { attributeNameSchema, CATALOG_LIMITS, PRODUCT_COLUMNS } from '../engine/catalog';
import { jsonErrorAt } from './jsonErrorAt';
import type { Problem } from './problem';

/**
 * A catalog file's text as rows, each with the line it starts on: CSV through csv-parse (header,
 * typed cells, cell counts and lengths), JSON through JSON.parse (with the line of each product,
 * and of a syntax error). The rows are validated as products by loadCatalog.
 */
/** A product read from the file, and the line it starts on. */
export interface Row {
  readonly line: number;
  readonly raw: unknown;
}
/** The products read, and the rows that could not be (the file's other rows are still checked). */
export interface Rows {
  readonly rows: Row[];
  readonly problems: Problem[];
}

export const catalogProblem = (file: string, line: number | undefined, message: string, fix: string): Problem => ({
  severity: 'error',
  file,
  ...(line !== undefined ? { line } : {}),
  message,
  fix,
});

const NUMBER = /^-?\d+(\.\d+)?$/;
/** A CSV cell as a typed value: numbers and true/false as such, `a|b|c` as a list; empty is absent. */
function typedCell(column: string, cell: string): unknown {
  if (cell === '') return undefined;
  if (column === 'price') return NUMBER.test(cell) ? Number(cell) : cell;
  if ((PRODUCT_COLUMNS as readonly string[]).includes(column)) return cell;
  const scalar = (s: string) => (NUMBER.test(s) ? Number(s) : s);
  if (cell.includes('|')) {
    const parts = cell
      .split('|')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return parts.map(scalar);
  }
  if (/^(true|false)$/i.test(cell)) return cell.toLowerCase() === 'true';
  return scalar(cell);
}

function headerProblems(file: string, header: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const fix = `the first row names the columns: ${PRODUCT_COLUMNS.join(',')}, then attribute columns`;
  for (const required of ['id', 'title']) {
    if (!header.includes(required)) problems.push(catalogProblem(file, 1, `no "${required}" column`, fix));
  }
  if (header.length > CATALOG_LIMITS.columns)
    problems.push(catalogProblem(file, 1, `more than ${CATALOG_LIMITS.columns} columns`, fix));
  header.forEach((name, i) => {
    if (header.indexOf(name) !== i) problems.push(catalogProblem(file, 1, `column "${name}" appears twice`, 'keep one of them'));
    else if (!(PRODUCT_COLUMNS as readonly string[]).includes(name) && !attributeNameSchema.safeParse(name).success)
      problems.push(catalogProblem(file, 1, `column ${JSON.stringify(name)}: attribute names use letters, digits and _`, fix));
  });
  return problems;
}

const csvRecords = z.array(
  z.object({ record: z.array(z.string()), info: z.object({ lines: z.number().int() }), raw: z.string() }),
);
type CsvRecord = z.infer<typeof csvRecords>[number];

/** The first line of a record: csv-parse reports the line it ends on, and its raw text (with skipped empty lines before it). */
function startLine(endLine: number, raw: string): number {
  const inner = raw.replace(/^[\r\n]+/, '').replace(/\r?\n$/, '');
  return endLine - (inner.match(/\n/g)?.length ?? 0);
}

function csvRows(file: string, text: string): Rows {
  let records: CsvRecord[];
  try {
    // With info and raw, csv-parse returns {record, info, raw} objects, which its types do not say.
    const parsed: unknown = parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      raw: true,
      max_record_size: CATALOG_LIMITS.columns * CATALOG_LIMITS.cell,
    });
    records = csvRecords.parse(parsed);
  } catch (err) {
    // A broken quote makes every later row's cells uncertain: it is reported alone.
    const { lines, code } = err as { lines?: unknown; code?: unknown };
    const line = typeof lines === 'number' ? lines : undefined;
    const tooLong = code === 'CSV_MAX_RECORD_SIZE';
    const message = tooLong
      ? `a row longer than ${CATALOG_LIMITS.columns * CATALOG_LIMITS.cell} characters`
      : `not valid CSV: ${(err as Error).message}`;
    return {
      rows: [],
      problems: [
        catalogProblem(
          file,
          line,
          message,
          tooLong ? 'shorten the row, or close the quote it opens' : 'fix the quoting at that line',
        ),
      ],
    };
  }
  const [head, ...body] = records;
  if (!head)
    return { rows: [], problems: [catalogProblem(file, undefined, 'the file is empty', 'add a header row and products')] };
  const header = head.record;
  const problems = headerProblems(file, header);
  if (body.length > CATALOG_LIMITS.products)
    problems.push(
      catalogProblem(file, undefined, `more than ${CATALOG_LIMITS.products} products`, 'split the catalog into several files'),
    );
  if (problems.length > 0) return { rows: [], problems };
  const rows: Row[] = [];
  for (const { record, info, raw } of body) {
    const line = startLine(info.lines, raw);
    if (record.every((c) => c === '')) continue;
    if (record.length !== header.length) {
      problems.push(
        catalogProblem(
          file,
          line,
          `${record.length} cells, the header has ${header.length}`,
          'quote cells that contain commas: "a, b"',
        ),
      );
      continue;
    }
    const long = record.findIndex((c) => c.length > CATALOG_LIMITS.cell);
    if (long >= 0) {
      problems.push(
        catalogProblem(file, line, `${header[long]}: more than ${CATALOG_LIMITS.cell} characters`, 'shorten the cell'),
      );
      continue;
    }
    const product: Record<string, unknown> = {};
    header.forEach((column, i) => {
      const value = typedCell(column, record[i] ?? '');
      if (value !== undefined) product[column] = value;
    });
    rows.push({ line, raw: product });
  }
  return { rows, problems };
}

/** The line each top-level element of a JSON array starts on (JSON.parse knows no lines). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let [line, depth, inString, escaped, expect] = [1, 0, false, false, false];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') continue;
    if (expect && depth === 1 && c !== ']') lines.push(line);
    expect = false;
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      expect = depth === 1;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expect = true;
  }
  return lines;
}

function jsonRows(file: string, text: string): Rows {
  const fail = (line: number | undefined, message: string, fix: string): Rows => ({
    rows: [],
    problems: [catalogProblem(file, line, message, fix)],
  });
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const at = jsonErrorAt(text.replace(/^\uFEFF/, ''));
    const line = at === undefined ? undefined : text.slice(0, at).split('\n').length;
    return fail(line, `not valid JSON: ${(err as Error).message}`, 'fix the JSON syntax at that line');
  }
  if (!Array.isArray(data)) return fail(1, 'not a JSON array', 'write the products as an array: [{"id": …, "title": …}, …]');
  if (data.length > CATALOG_LIMITS.products)
    return fail(1, `more than ${CATALOG_LIMITS.products} products`, 'split the catalog into several files');
  const lines = elementLines(text);
  return { rows: data.map((raw: unknown, i) => ({ line: lines[i] ?? 1, raw })), problems: [] };
}

/** The rows of a catalog file's text, read as CSV or as JSON. */
export const readCatalogRows = (file: string, format: 'csv' | 'json', text: string): Rows =>
  format === 'csv' ? csvRows(file, text) : jsonRows(file, text);
