import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import {
  buildCatalog,
  CATALOG_LIMITS,
  cardUrl,
  PRODUCT_COLUMNS,
  productSchema,
  attributeNameSchema,
  type Catalog,
  type Product,
} from '../engine/catalog';
import { catalogNameSchema } from '../engine/catalogQuery';
import { jsonErrorAt } from './jsonErrorAt';
import { listDir, type Problem } from './problem';

/** Where catalogs live, inside FLOWS_DIR: flows/catalogs/<name>.csv or <name>.json. */
export const CATALOGS_DIR = 'catalogs';
const EXTENSIONS = new Set(['.csv', '.json']);
const DOCS = 'see docs/flows.md, "Catalogs"';

export type CatalogLoad =
  | { readonly ok: true; readonly catalog: Catalog; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** A product read from the file, and the line it starts on. */
interface Row {
  readonly line: number;
  readonly raw: unknown;
}
/** The products read, and the rows that could not be (the file's other rows are still checked). */
interface Rows {
  readonly rows: Row[];
  readonly problems: Problem[];
}

const error = (file: string, line: number | undefined, message: string, fix: string): Problem => ({
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
    if (!header.includes(required)) problems.push(error(file, 1, `no "${required}" column`, fix));
  }
  if (header.length > CATALOG_LIMITS.columns) problems.push(error(file, 1, `more than ${CATALOG_LIMITS.columns} columns`, fix));
  header.forEach((name, i) => {
    if (header.indexOf(name) !== i) problems.push(error(file, 1, `column "${name}" appears twice`, 'keep one of them'));
    else if (!(PRODUCT_COLUMNS as readonly string[]).includes(name) && !attributeNameSchema.safeParse(name).success)
      problems.push(error(file, 1, `column ${JSON.stringify(name)}: attribute names use letters, digits and _`, fix));
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
        error(file, line, message, tooLong ? 'shorten the row, or close the quote it opens' : 'fix the quoting at that line'),
      ],
    };
  }
  const [head, ...body] = records;
  if (!head) return { rows: [], problems: [error(file, undefined, 'the file is empty', 'add a header row and products')] };
  const header = head.record;
  const problems = headerProblems(file, header);
  if (body.length > CATALOG_LIMITS.products)
    problems.push(
      error(file, undefined, `more than ${CATALOG_LIMITS.products} products`, 'split the catalog into several files'),
    );
  if (problems.length > 0) return { rows: [], problems };
  const rows: Row[] = [];
  for (const { record, info, raw } of body) {
    const line = startLine(info.lines, raw);
    if (record.every((c) => c === '')) continue;
    if (record.length !== header.length) {
      problems.push(
        error(file, line, `${record.length} cells, the header has ${header.length}`, 'quote cells that contain commas: "a, b"'),
      );
      continue;
    }
    const long = record.findIndex((c) => c.length > CATALOG_LIMITS.cell);
    if (long >= 0) {
      problems.push(error(file, line, `${header[long]}: more than ${CATALOG_LIMITS.cell} characters`, 'shorten the cell'));
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
    problems: [error(file, line, message, fix)],
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

function issueText(issue: z.core.$ZodIssue): string {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol').join('.');
  const message = path === 'price' && issue.code === 'invalid_type' ? 'must be a number, like 89 or 89.90' : issue.message;
  return path ? `${path}: ${message}` : message;
}

function warningsOf(file: string, line: number, p: Product): Problem[] {
  const warn = (message: string, fix: string): Problem => ({ severity: 'warning', file, line, message, fix });
  const out: Problem[] = [];
  for (const key of ['image_url', 'url'] as const) {
    const url = p[key];
    if (url !== undefined && !cardUrl(url))
      out.push(warn(`${key} is not an https:// URL: cards show the product without it`, 'use an https:// address'));
  }
  if (p.subtitle === undefined && p.price === undefined && !cardUrl(p.image_url) && !cardUrl(p.url))
    out.push(
      warn(
        'only a title: Messenger refuses such a card, so it is left out unless the query gives it a button',
        'add a price, subtitle, image_url or url',
      ),
    );
  return out;
}

/** Validates each product, reports every bad row and duplicate id by line, and indexes the rest. */
function catalogOf(name: string, file: string, { rows, problems: unread }: Rows): CatalogLoad {
  const problems: Problem[] = [...unread];
  const warnings: Problem[] = [];
  const products: Product[] = [];
  const firstLine = new Map<string, number>();
  for (const { line, raw } of rows) {
    const parsed = productSchema.safeParse(raw);
    if (!parsed.success) {
      problems.push(error(file, line, parsed.error.issues.map(issueText).join('; '), DOCS));
      continue;
    }
    const earlier = firstLine.get(parsed.data.id);
    if (earlier !== undefined) {
      problems.push(
        error(file, line, `id "${parsed.data.id}" is already used on line ${earlier}`, 'give each product its own id'),
      );
      continue;
    }
    firstLine.set(parsed.data.id, line);
    products.push(parsed.data);
    warnings.push(...warningsOf(file, line, parsed.data));
  }
  if (problems.length === 0 && products.length === 0) problems.push(error(file, undefined, 'no products', 'add products'));
  const byLine = (a: Problem, b: Problem) => (a.line ?? 0) - (b.line ?? 0);
  return problems.length > 0
    ? { ok: false, problems: [...problems.sort(byLine), ...warnings] }
    : { ok: true, catalog: buildCatalog(name, products), warnings };
}

/** Reads, validates and indexes one catalog file (.csv or .json); its name is the file's stem. */
export function loadCatalogFile(path: string): CatalogLoad {
  const file = relative(process.cwd(), path) || path;
  const ext = extname(path).toLowerCase();
  const name = basename(path, extname(path));
  if (!EXTENSIONS.has(ext)) return { ok: false, problems: [error(file, undefined, 'not a .csv or .json file', DOCS)] };
  if (!catalogNameSchema.safeParse(name).success)
    return {
      ok: false,
      problems: [error(file, undefined, 'catalog file names use letters, digits, _ and -', 'rename the file')],
    };
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { ok: false, problems: [error(file, undefined, 'cannot read the file', 'check the path')] };
  }
  if (size > CATALOG_LIMITS.fileBytes)
    return {
      ok: false,
      problems: [
        error(
          file,
          undefined,
          `larger than ${CATALOG_LIMITS.fileBytes / 1024 / 1024} MB`,
          'split the catalog into several files',
        ),
      ],
    };
  const text = readFileSync(path, 'utf8');
  const read = ext === '.csv' ? csvRows(file, text) : jsonRows(file, text);
  // A file that could not be read as rows at all (syntax, header, caps) says only that.
  if (read.rows.length === 0 && read.problems.length > 0) return { ok: false, problems: read.problems };
  return catalogOf(name, file, read);
}

export interface CatalogsLoad {
  readonly catalogs: ReadonlyMap<string, Catalog>;
  /** Errors (the flows must not load) and warnings. */
  readonly problems: readonly Problem[];
}

/** Every catalog in `<flowsDir>/catalogs/`, by name. No directory means no catalogs. */
export function loadCatalogs(flowsDir: string): CatalogsLoad {
  const dir = join(flowsDir, CATALOGS_DIR);
  if (!existsSync(dir)) return { catalogs: new Map(), problems: [] };
  const listed = listDir(
    dir,
    (n) => EXTENSIONS.has(extname(n).toLowerCase()),
    'catalogs',
    `make ${dir} a directory of catalog files`,
  );
  if (!listed.ok) return { catalogs: new Map(), problems: listed.problems };
  const catalogs = new Map<string, Catalog>();
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const n of listed.names) {
    const name = basename(n, extname(n));
    if (seen.has(name)) {
      problems.push(error(join(dir, n), undefined, `another file is already catalog "${name}"`, 'keep one file per name'));
      continue;
    }
    seen.add(name);
    const loaded = loadCatalogFile(join(dir, n));
    problems.push(...(loaded.ok ? loaded.warnings : loaded.problems));
    if (loaded.ok) catalogs.set(name, loaded.catalog);
  }
  return { catalogs, problems };
}
