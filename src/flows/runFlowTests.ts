import { join } from 'node:path';
import { coverageOf, mergeReached, percent, type Coverage } from './flowCoverage';
import { loadFlows } from './loadFlows';
import { FLOW_TESTS_DIR, loadFlowTests } from './loadFlowTests';
import type { Problem } from './problem';
import { runFlowTest, type FlowTestResult } from './runFlowTest';

/** A run of every conversation test in a flows directory: results, coverage, and whether it passes. */
export type FlowTestsReport =
  | { readonly ok: false; readonly kind: 'load'; readonly problems: readonly Problem[] }
  | {
      readonly ok: boolean;
      readonly kind: 'run';
      readonly results: readonly FlowTestResult[];
      readonly coverage: Coverage;
      /** settings.yaml `tests.min_coverage` (percent of nodes checked); 0: none. */
      readonly minCoverage: number;
      readonly ms: number;
    };

/**
 * Loads the flows of `flowsDir` (as the service would: a flow error refuses the run) and the tests
 * of `testsDir` (default: its tests/), and runs every test. Synchronous and in memory.
 */
export function runFlowTests(flowsDir: string, testsDir: string = join(flowsDir, FLOW_TESTS_DIR)): FlowTestsReport {
  const flows = loadFlows(flowsDir);
  if (!flows.ok) return { ok: false, kind: 'load', problems: flows.problems };
  const tests = loadFlowTests(testsDir);
  if (!tests.ok) return { ok: false, kind: 'load', problems: tests.problems };
  const started = performance.now();
  const results = tests.tests.map((t) => runFlowTest(flows.flowSet, t));
  const ms = performance.now() - started;
  const coverage = coverageOf(flows.flowSet, mergeReached(results.map((r) => r.reached)));
  const minCoverage = flows.flowSet.settings.tests.min_coverage;
  const ok = results.every((r) => !r.failure) && percent(coverage.nodes) >= minCoverage;
  return { ok, kind: 'run', results, coverage, minCoverage, ms };
}
