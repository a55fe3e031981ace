import { parseRange, WEEKDAYS } from '../engine/businessHours';
import type { LoadedFlow } from '../engine/flowSet';
import { resumeTarget } from '../engine/resume';
import type { Settings } from '../engine/flowSchema';
import { quote, suggestNode, type Reporter } from './lintScope';

/**
 * settings.yaml `handover`: resume_at must name an existing flow and node (the engine would
 * otherwise leave users at the default flow's entry without saying why), and business hours that
 * never open would make every handover "after hours" with no opening to promise.
 */
export function lintHandover(flows: readonly LoadedFlow[], settings: Settings, report: Reporter): void {
  const { resume_at, business_hours } = settings.handover;
  if (resume_at !== undefined) lintResumeAt(flows, resume_at, report);
  if (business_hours && !WEEKDAYS.some((d) => parseRange(business_hours.hours[d]) !== undefined)) {
    report.warn(
      ['handover', 'business_hours', 'hours'],
      'handover.business_hours.hours opens on no day: every handover is after hours, and messages.handover_after_hours is never sent (there is no opening to announce)',
      'give at least one day its hours, e.g. mon: "09:00-18:00", or remove business_hours',
    );
  }
}

function lintResumeAt(flows: readonly LoadedFlow[], ref: string, report: Reporter): void {
  const { flow: flowId, node } = resumeTarget(ref);
  const target = flows.find((f) => f.flow.id === flowId)?.flow;
  const path = ['handover', 'resume_at'];
  if (!target) {
    report.error(
      path,
      `handover.resume_at ${quote(ref)} names no flow ${quote(flowId)}`,
      `use "<flow>:<node>" with one of the flows: ${flows.map((f) => f.flow.id).join(', ')}`,
    );
  } else if (node !== undefined && !target.nodes[node]) {
    report.error(
      path,
      `handover.resume_at ${quote(ref)} names no node ${quote(node)} of flow ${quote(flowId)}`,
      suggestNode(target, node),
    );
  }
}
