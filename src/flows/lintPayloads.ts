import type { LoadedFlow } from '../engine/flowSet';
import { GET_STARTED_PAYLOAD, payloadFor } from '../engine/payloads';
import { charCount, LIMITS } from '../platform/sendApiSchema';
import { triggerTarget } from './flowGraph';
import { controlsOf, quote, reporter, where, type Path } from './lintScope';
import type { Locate, Problem } from './problem';

interface Owner {
  readonly file: string;
  readonly flow: string;
  readonly node: string;
  readonly path: Path;
  readonly target?: string;
}

/**
 * Payloads across all flows: hand-written ones must be unique, not reserved, not shadow a
 * postback trigger, and fit Messenger's 1000 characters, as must the generated
 * TS|flow|node|control ones. Pure.
 */
export function lintPayloads(flows: readonly LoadedFlow[], locate: Locate, out: Problem[]): void {
  const owners = new Map<string, Owner>();
  const postbacks = postbackTriggers(flows);
  for (const { flow, file } of flows) {
    const report = reporter(file, flow.id, locate, out);
    for (const node of Object.keys(flow.nodes)) {
      for (const { id, path, control } of controlsOf(flow, node)) {
        if (id.startsWith('a')) continue; // choices always use generated payloads
        const payload = control.payload;
        if (payload === undefined) {
          const generated = payloadFor({ flow: flow.id, node, control: id });
          if (charCount(generated) > LIMITS.payload)
            report.error(
              path,
              `generated payload ${quote(generated)} is longer than ${LIMITS.payload} characters`,
              'use shorter flow and node ids',
            );
          continue;
        }
        const at: Path = [...path, 'payload'];
        const problem = ownProblem(payload);
        if (problem) report.error(at, problem.message, problem.fix);
        const first = owners.get(payload);
        if (first)
          report.error(
            at,
            `payload ${quote(payload)} is also used in node ${quote(first.node)} of flow ${quote(first.flow)} (${where(locate, first.file, first.path)}); a tap would always run that one`,
            'give each button and quick reply its own payload',
          );
        else owners.set(payload, { file, flow: flow.id, node, path: at, ...(control.goto ? { target: control.goto } : {}) });
        const trigger = postbacks.get(payload);
        if (trigger && (trigger.flow !== flow.id || trigger.target !== control.goto)) {
          report.error(
            at,
            `payload ${quote(payload)} is also the postback trigger of flow ${quote(trigger.flow)} (${where(locate, trigger.file, trigger.path)}), which goes to ${quote(trigger.target ?? '')}; the button wins and the trigger never fires`,
            'use a different payload here, or point both at the same node',
          );
        }
      }
    }
  }
}

function ownProblem(payload: string): { message: string; fix: string } | undefined {
  if (payload === '') return { message: 'payload is empty', fix: 'remove payload: (one is generated) or write one' };
  if (payload.startsWith('TS|'))
    return {
      message: `payload ${quote(payload)} starts with the reserved prefix TS|`,
      fix: 'remove payload: (one is generated), or use another prefix',
    };
  if (payload === GET_STARTED_PAYLOAD)
    return {
      message: `payload ${GET_STARTED_PAYLOAD} is reserved for the Get Started button`,
      fix: 'use a get_started trigger instead, or another payload',
    };
  if (charCount(payload) > LIMITS.payload)
    return {
      message: `payload has ${charCount(payload)} characters; Messenger allows at most ${LIMITS.payload}`,
      fix: `shorten it to ${LIMITS.payload} characters or fewer`,
    };
  return undefined;
}

function postbackTriggers(flows: readonly LoadedFlow[]): Map<string, Omit<Owner, 'node'>> {
  const found = new Map<string, Omit<Owner, 'node'>>();
  for (const { flow, file } of flows) {
    flow.triggers.forEach((t, i) => {
      if ('postback' in t && !found.has(t.postback))
        found.set(t.postback, { file, flow: flow.id, path: ['triggers', i, 'postback'], target: triggerTarget(flow, t) });
    });
  }
  return found;
}
