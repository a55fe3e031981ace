import type { Command } from 'commander';
import { loadCatalogFile } from '../flows/loadCatalog';
import { formatProblem } from '../flows/problem';

/** `talkshop catalog check <file>`: a catalog's bad rows by line, and what it holds. */
export function addCatalogCommand(program: Command): void {
  const catalog = program.command('catalog').description('check product catalogs (flows/catalogs/*.csv, *.json)');
  catalog
    .command('check')
    .argument('<file>', 'a catalog file: .csv with a header row, or .json (an array of products)')
    .description('report bad rows with their line numbers and summarize the catalog; exits 1 when any error is found')
    .action((file: string) => {
      const result = loadCatalogFile(file);
      const problems = result.ok ? result.warnings : result.problems;
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      const errors = problems.filter((p) => p.severity === 'error').length;
      const warnings = problems.length - errors;
      if (!result.ok) {
        process.stdout.write(`${file}: ${errors} error(s), ${warnings} warning(s)\n`);
        process.exitCode = 1;
        return;
      }
      const { catalog: c } = result;
      const attributes = [...c.attributes].map(([name, count]) => `${name} (${count})`).join(', ') || 'none';
      process.stdout.write(
        `${file}: catalog "${c.name}", ${c.items.length} product(s), attributes: ${attributes}; ${warnings} warning(s)\n`,
      );
      process.exitCode = 0;
    });
}
