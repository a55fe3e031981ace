/**
 * `talkshop catalog check <file>`: the built CLI, run as a marketer would, on the demo's catalog
 * and on files with bad rows: the problems by line, the summary, the exit code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBuiltCli } from '../support/runBuiltCli';

const dir = mkdtempSync(join(tmpdir(), 'talkshop-catalog-cli-'));
const check = (file: string) => runBuiltCli(['catalog', 'check', file], {}, dir);
const write = (name: string, content: string) => {
  writeFileSync(join(dir, name), content);
  return name;
};

describe('talkshop catalog check', () => {
  it("summarizes the demo shop's catalog and exits 0", async () => {
    const result = await check(resolve('flows/catalogs/products.csv'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'catalog "products", 30 product(s), attributes: category (30), sizes (30), color (30), waterproof (30); 0 warning(s)',
    );
  });

  it('prints each bad row with its line and what is wrong, then the count, and exits 1', async () => {
    const file = write(
      'shoes.csv',
      ['id,title,price,sizes', 'a,Runner,89,40|41', 'b,Trail,cheap,42', 'a,Again,10,40', 'c,"Plain, no price"'].join('\n'),
    );
    const result = await check(file);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      'error: shoes.csv:3: price: must be a number, like 89 or 89.90',
      '  fix: see docs/flows.md, "Catalogs"',
      'error: shoes.csv:4: id "a" is already used on line 2',
      '  fix: give each product its own id',
      'error: shoes.csv:5: 2 cells, the header has 4',
      '  fix: quote cells that contain commas: "a, b"',
      'shoes.csv: 3 error(s), 0 warning(s)',
      '',
    ]);
  });

  it('checks JSON catalogs, prints warnings, and refuses a file it cannot read', async () => {
    const json = write('socks.json', '[\n  {"id": "s1", "title": "Socks", "image_url": "http://x.example.com/s.jpg"}\n]\n');
    const ok = await check(json);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('warning: socks.json:2: image_url is not an https:// URL');
    expect(ok.stdout).toContain('socks.json: catalog "socks", 1 product(s), attributes: none; 2 warning(s)');
    const missing = await check('nope.csv');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('nope.csv: cannot read the file');
  });
});
