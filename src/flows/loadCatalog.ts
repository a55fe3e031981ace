import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import type { z } from 'zod';
import { buildCatalog, CATALOG_LIMITS, cardUrl, productSchema, type Catalog, type Product } from '../engine/catalog';
import { catalogNameSchema } from '../engine/catalogQuery';
import { listDir, type Problem } from './problem';
import { catalogProblem as error, readCatalogRows, type Rows } from './readCatalogRows';

/** Where catalogs live, inside FLOWS_DIR: flows/catalogs/<name>.csv or <name>.json. */
export const CATALOGS_DIR = 'catalogs';
const EXTENSIONS = new Set(['.csv', '.json']);
const DOCS = 'see docs/flows.md, "Catalogs"';

export type CatalogLoad =
  | { readonly ok: true; readonly catalog: Catalog; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

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
  const read = readCatalogRows(file, ext === '.csv' ? 'csv' : 'json', text);
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
