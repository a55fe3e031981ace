/**
 * Catalog files: CSV and JSON read into validated, indexed catalogs; every bad row reported with
 * the line it starts on and what is wrong; the caps (file size, products, cell length); the
 * catalogs folder loaded with the flows.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATALOG_LIMITS } from '../../src/engine/catalog';
import { catalogCards, catalogQuerySchema } from '../../src/engine/catalogCards';
import { loadCatalogFile, loadCatalogs } from '../../src/flows/loadCatalog';
import { loadFlows } from '../../src/flows/loadFlows';
import type { Problem } from '../../src/flows/problem';

const root = mkdtempSync(join(tmpdir(), 'talkshop-catalog-'));
let n = 0;
/** A catalog file with this content, in a fresh directory. */
function file(name: string, content: string): string {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const problemsOf = (path: string): Problem[] => {
  const loaded = loadCatalogFile(path);
  return loaded.ok ? [...loaded.warnings] : [...loaded.problems];
};
const errors = (path: string) =>
  problemsOf(path)
    .filter((p) => p.severity === 'error')
    .map((p) => [p.line, p.message] as const);

const HEADER = 'id,title,subtitle,image_url,price,currency,url,category,sizes';

describe('CSV catalogs', () => {
  it('loads the demo shop: 30 shoes with their attributes', () => {
    const loaded = loadCatalogFile('flows/catalogs/products.csv');
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.warnings).toEqual([]);
    expect(loaded.catalog.name).toBe('products');
    expect(loaded.catalog.items).toHaveLength(30);
    expect(new Set(loaded.catalog.items.map((i) => i.product.attributes.category))).toEqual(
      new Set(['running', 'trail', 'walking']),
    );
    const q = catalogQuerySchema.parse({ catalog: 'products', where: { sizes: '{{shoe_size}}', category: 'trail' } });
    expect(catalogCards(loaded.catalog, q, { shoe_size: 42 }).elements.length).toBeGreaterThan(0);
  });

  it('types cells: prices and numbers, true/false, a|b|c lists; empty cells are absent; quoted cells keep commas and newlines', () => {
    const loaded = loadCatalogFile(
      file('shoes.csv', `${HEADER},waterproof\na,"Runner, X","two\nlines",,89.90,USD,,running,40|41| 42,TRUE\nb,Trail,,,,,,,,\n`),
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.catalog.items.map((i) => i.product)).toEqual([
      {
        id: 'a',
        title: 'Runner, X',
        subtitle: 'two\nlines',
        price: 89.9,
        currency: 'USD',
        attributes: { category: 'running', sizes: [40, 41, 42], waterproof: true },
      },
      { id: 'b', title: 'Trail', attributes: {} },
    ]);
  });

  it('reports every bad row with the line it starts on, after blank lines and multi-line cells', () => {
    const csv = [
      HEADER, // 1
      'ok1,Fine,"a cell', // 2
      'on two lines",,10,USD,,running,40', // 3
      '', // 4
      'bad-price,Shoe,,,cheap,USD,,running,40', // 5
      'no-title,,,,10,USD,,running,40', // 6
      'ok2,Fine,,,10,usd,,running,40', // 7: currency must be upper case
      'has space,Fine,,,10,USD,,running,40', // 8
      'ok1,Again,,,10,USD,,running,40', // 9: duplicate of line 2
      'short,row', // 10
      'neg,Shoe,,,-5,USD,,running,40', // 11
    ].join('\n');
    expect(errors(file('c.csv', csv))).toEqual([
      [5, 'price: must be a number, like 89 or 89.90'],
      [6, expect.stringContaining('title')],
      [7, expect.stringContaining('currency')],
      [8, expect.stringContaining('id')],
      [9, 'id "ok1" is already used on line 2'],
      [10, '2 cells, the header has 9'],
      [11, expect.stringContaining('price')],
    ]);
  });

  it('refuses a header without id or title, a repeated column and a bad attribute name, on line 1', () => {
    expect(errors(file('h.csv', 'sku,title,colour name,title\nx,y,z,w\n'))).toEqual([
      [1, 'no "id" column'],
      [1, 'column "colour name": attribute names use letters, digits and _'],
      [1, 'column "title" appears twice'],
    ]);
  });

  it('reports broken quoting once, with its line', () => {
    const [problem] = errors(file('q.csv', `${HEADER}\na,A,,,1,USD,,x,1\nb,"B"oops,,,1,USD,,x,1\n`));
    expect(problem?.[0]).toBe(3);
    expect(problem?.[1]).toMatch(/^not valid CSV: /);
  });

  it('warns (does not refuse) about URLs that are not https and products with only a title', () => {
    const problems = problemsOf(file('w.csv', `${HEADER}\na,A,,http://x.example.com/a.jpg,1,USD,,x,1\nb,B,,,,,,x,1\n`));
    expect(problems.map((p) => [p.severity, p.line, p.message.split(':')[0]])).toEqual([
      ['warning', 2, 'image_url is not an https'],
      ['warning', 3, 'only a title'],
    ]);
  });

  it('caps the cell length, the number of products and the file size', () => {
    const long = 'x'.repeat(CATALOG_LIMITS.cell + 1);
    expect(errors(file('l.csv', `${HEADER}\na,A,${long},,1,USD,,x,1\n`))).toEqual([
      [2, `subtitle: more than ${CATALOG_LIMITS.cell} characters`],
    ]);
    const huge = 'y'.repeat(CATALOG_LIMITS.columns * CATALOG_LIMITS.cell + 1);
    expect(errors(file('r.csv', `${HEADER}\na,A,,,1,USD,,x,1\nb,"${huge}",,,1,USD,,x,1\n`))).toEqual([
      [3, 'a row longer than 128000 characters'],
    ]);
    const rows = Array.from({ length: CATALOG_LIMITS.products + 1 }, (_, i) => `p${i},P`).join('\n');
    expect(errors(file('many.csv', `id,title\n${rows}\n`))).toEqual([
      [undefined, `more than ${CATALOG_LIMITS.products} products`],
    ]);
    const big = file('big.csv', `id,title\n${'a,b\n'.repeat(CATALOG_LIMITS.fileBytes / 4 + 1)}`);
    expect(errors(big)).toEqual([[undefined, 'larger than 20 MB']]);
  });

  it('refuses an empty file, a file with no products, and other extensions', () => {
    expect(errors(file('e.csv', ''))).toEqual([[undefined, 'the file is empty']]);
    expect(errors(file('h.csv', 'id,title\n'))).toEqual([[undefined, 'no products']]);
    expect(errors(file('x.txt', 'id,title\na,b\n'))).toEqual([[undefined, 'not a .csv or .json file']]);
    expect(errors(file('bad name.csv', 'id,title\na,b\n'))).toEqual([
      [undefined, 'catalog file names use letters, digits, _ and -'],
    ]);
  });
});

describe('JSON catalogs', () => {
  it('reads an array of flat products (attributes beside the columns)', () => {
    const loaded = loadCatalogFile(
      file('shoes.json', JSON.stringify([{ id: 'a', title: 'A', price: 5, sizes: [40, 41], sale: true }])),
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.catalog.items[0]?.product).toEqual({
      id: 'a',
      title: 'A',
      price: 5,
      attributes: { sizes: [40, 41], sale: true },
    });
  });

  it('reports bad products and duplicate ids with the line each starts on', () => {
    const json = `[
  {"id": "a", "title": "A, with a ] and a { in it", "price": 1},
  {"id": "b", "title": "B", "price": "12"},
  {
    "id": "c",
    "title": "C", "colours": {"nested": true}
  }, {"id": "a", "title": "Again"},
  {"id": "d", "title": "D", "bad key": 1}
]`;
    expect(errors(file('p.json', json))).toEqual([
      [3, 'price: must be a number, like 89 or 89.90'],
      [4, expect.stringContaining('colours')],
      [7, 'id "a" is already used on line 2'],
      [8, expect.stringContaining('bad key')],
    ]);
  });

  it('says where the JSON syntax breaks, and refuses what is not an array', () => {
    expect(errors(file('s.json', '[\n {"id": "a", "title": "A"},\n {"id": }\n]'))).toEqual([
      [3, expect.stringMatching(/^not valid JSON: /)],
    ]);
    expect(errors(file('o.json', '{"id": "a"}'))).toEqual([[1, 'not a JSON array']]);
  });
});

describe('the catalogs folder', () => {
  const flowsDir = (catalogs: Record<string, string>) => {
    const dir = join(root, `flows${n++}`);
    mkdirSync(join(dir, 'catalogs'), { recursive: true });
    writeFileSync(join(dir, 'hello.yaml'), 'id: hello\nstart: a\nnodes:\n  a:\n    say: [{ text: hi }]\n    end: true\n');
    for (const [name, content] of Object.entries(catalogs)) writeFileSync(join(dir, 'catalogs', name), content);
    return dir;
  };

  it('is loaded with the flows, each catalog by its file name', () => {
    const dir = flowsDir({ 'shoes.csv': 'id,title,price\na,A,1\n', 'socks.json': '[{"id": "s", "title": "S", "price": 2}]' });
    const loaded = loadFlows(dir);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect([...loaded.flowSet.catalogs.keys()]).toEqual(['shoes', 'socks']);
  });

  it('stops the flows from loading when a catalog has a bad row; two files of one name are an error', () => {
    const loaded = loadFlows(flowsDir({ 'shoes.csv': 'id,title,price\na,A,x\n' }));
    expect(loaded.ok).toBe(false);
    const csvProblems = loaded.ok ? [] : loaded.problems.filter((p) => p.file.endsWith('shoes.csv'));
    expect(csvProblems.map((p) => [p.line, p.message])).toEqual([[2, 'price: must be a number, like 89 or 89.90']]);
    const twice = loadCatalogs(flowsDir({ 'shoes.csv': 'id,title,price\na,A,1\n', 'shoes.json': '[]' }));
    expect(twice.problems.map((p) => p.message)).toEqual(['another file is already catalog "shoes"']);
    expect([...twice.catalogs.keys()]).toEqual(['shoes']);
  });

  it('is optional', () => {
    expect(loadCatalogs(join(root, 'nowhere'))).toEqual({ catalogs: new Map(), problems: [] });
  });
});
