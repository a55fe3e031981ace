import { enterNode, type Run } from './run';

/** settings.handover.resume_at: "<flow>:<node>", or "<flow>" for that flow's entry node. */
export function resumeTarget(ref: string): { readonly flow: string; readonly node?: string } {
  const [flow = '', node] = ref.split(':');
  return node === undefined ? { flow } : { flow, node };
}

/**
 * Where the conversation goes on once the bot has the thread back (after the welcome-back). By
 * default the user waits at the default flow's entry and the next message runs from there; with
 * resume_at that node is entered now, sending its messages (the caller makes them UPDATE: the
 * user did not just write).
 */
export function resumeConversation(run: Run): void {
  const { flows, state } = run;
  const home = flows.flows.get(flows.defaultFlow);
  if (home) state.position = { flow: home.flow.id, version: home.version, node: home.flow.entry ?? home.flow.start };
  const ref = flows.settings.handover.resume_at;
  if (ref === undefined) return;
  const { flow, node } = resumeTarget(ref);
  const loaded = flows.flows.get(flow);
  // Only possible if the linter was bypassed: the user stays at the default flow's entry.
  if (!loaded)
    return void run.effects.push({
      type: 'warning',
      code: 'missing_node',
      detail: `no flow ${flow} (settings handover.resume_at)`,
    });
  enterNode(run, flow, node ?? loaded.flow.entry ?? loaded.flow.start);
}
