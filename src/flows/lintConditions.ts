import type { Condition } from '../engine/flowSchema';
import { isTimeZone } from '../engine/businessHours';
import { nodeEntries, quote, regexError, regexRisk, type FlowScope, type Path } from './lintScope';

/**
 * Branch conditions the engine would silently treat as false at run time: `matches` patterns
 * that do not compile, unknown time zones, impossible clock times. Pure.
 */
export function lintConditions(scope: FlowScope): void {
  for (const [id, node] of nodeEntries(scope.flow)) {
    (node.branch ?? []).forEach((b, i) => {
      if (!('if' in b)) return;
      const base: Path = ['nodes', id, 'branch', i, 'if'];
      if (Array.isArray(b.if)) b.if.forEach((c, j) => condition(scope, [...base, j], c));
      else condition(scope, base, b.if);
    });
  }
}

function condition({ report }: FlowScope, path: Path, c: Condition): void {
  if ('field' in c && c.matches !== undefined) {
    const problem = regexError(c.matches, 'iu');
    if (problem)
      report.error(
        [...path, 'matches'],
        `matches pattern does not compile: ${problem}`,
        'write a valid JavaScript regular expression (it is matched case-insensitively)',
      );
    const risk = problem ? undefined : regexRisk(c.matches, 'iu');
    if (risk) report.error([...path, 'matches'], `matches pattern ${quote(c.matches)} ${risk.problem}`, risk.fix);
  }
  if (!('time' in c)) return;
  if (!isTimeZone(c.time.tz)) {
    report.error(
      [...path, 'time', 'tz'],
      `time zone ${quote(c.time.tz)} is not a valid IANA zone`,
      'use a zone like Europe/Paris, America/New_York or UTC',
    );
  }
  (c.time.between ?? []).forEach((hhmm, k) => {
    const [h, m] = hhmm.split(':').map(Number);
    if ((h ?? 0) > 23 || (m ?? 0) > 59)
      report.error(
        [...path, 'time', 'between', k],
        `${quote(hhmm)} is not a time of day`,
        'write times as HH:MM from 00:00 to 23:59',
      );
  });
}
