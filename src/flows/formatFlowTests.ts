import { formatCoverage, percent } from './flowCoverage';
import { formatProblem } from './problem';
import type { FlowTestResult } from './runFlowTest';
import type { FlowTestsReport } from './runFlowTests';

/** A failing test as a diff of the conversation: where, the conversation so far, then expected (-) against said (+). */
export function formatFailure(r: FlowTestResult): string[] {
  const f = r.failure;
  if (!f) return [`✓ ${r.file}: ${r.name}`];
  return [
    `✗ ${r.file}: ${r.name}`,
    `  turn ${f.turn} (${r.file}:${f.line}): ${f.action}`,
    ...(f.before.length > 0 ? ['    …', ...f.before.map((l) => `    ${l}`)] : []),
    `  > ${f.action}`,
    ...f.diff.map((d) => `  ${d.sign} ${d.text}`),
    ...f.problems.map((p) => `  ! ${p}`),
  ];
}

/** The whole run for the terminal: one line per test (a diff per failure), the coverage table, the verdict. */
export function formatReport(report: FlowTestsReport): string[] {
  if (report.kind === 'load') return [...report.problems.map(formatProblem), 'conversation tests not run: fix the files above'];
  const failed = report.results.filter((r) => r.failure).length;
  const lines = report.results.flatMap(formatFailure);
  lines.push('', ...formatCoverage(report.coverage), '');
  const nodes = percent(report.coverage.nodes);
  if (nodes < report.minCoverage)
    lines.push(
      `coverage ${nodes}% of nodes is below tests.min_coverage ${report.minCoverage}% (settings.yaml): add tests for the nodes listed`,
    );
  lines.push(
    `${report.results.length} test(s): ${report.results.length - failed} passed, ${failed} failed in ${report.ms.toFixed(0)} ms; ${nodes}% of nodes checked`,
  );
  return lines;
}

/** The run as JSON (`--json`): per test its verdict and failure, and the coverage. */
export function reportJson(report: FlowTestsReport): unknown {
  if (report.kind === 'load') return { ok: false, problems: report.problems };
  return {
    ok: report.ok,
    ms: Math.round(report.ms * 10) / 10,
    min_coverage: report.minCoverage,
    tests: report.results.map((r) => ({
      file: r.file,
      name: r.name,
      passed: !r.failure,
      ...(r.failure ? { failure: r.failure } : {}),
    })),
    coverage: {
      nodes: { ...report.coverage.nodes, percent: percent(report.coverage.nodes) },
      flows: report.coverage.flows.map((f) => ({
        flow: f.flow,
        file: f.file,
        nodes: { ...f.nodes, percent: percent(f.nodes) },
        quick_replies: { ...f.quickReplies, percent: percent(f.quickReplies) },
        branches: { ...f.branches, percent: percent(f.branches) },
      })),
    },
  };
}
