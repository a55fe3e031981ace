import { renderMessage, renderQuestion, type RenderContext } from '../engine/render';
import { messageSchema, type SendMessage } from '../platform/sendApiSchema';
import type { Ask, MessageSpec } from '../engine/flowSchema';
import type { FlowScope, Path } from './lintScope';

/**
 * The backstop: renders a message exactly as the engine would for a user with no fields and
 * validates it against Messenger's schema. It reports only what the explicit checks missed, so
 * callers run it when those found nothing for the message. Pure.
 */
export function backstopMessage(scope: FlowScope, node: string, index: number, spec: MessageSpec): void {
  const message = renderMessage(context(scope, node), spec, index);
  if (message) validate(scope, message, ['nodes', node, 'say', index], sayPath);
}

/** The same for an ask's question, as first asked and as asked again after an invalid answer. */
export function backstopQuestion(scope: FlowScope, node: string, ask: Ask): void {
  const choices = ask.choices?.length ?? 0;
  const toSpec =
    (invalid: boolean) =>
    (p: Path): Path => {
      if (p[0] === 'quick_replies' && typeof p[1] === 'number') return p[1] < choices ? ['choices', p[1], 'title'] : ['capture'];
      return [invalid && ask.invalid !== undefined ? 'invalid' : 'text'];
    };
  const seen = new Set<string>();
  validate(scope, renderQuestion(context(scope, node), ask, false), ['nodes', node, 'ask'], toSpec(false), seen);
  validate(scope, renderQuestion(context(scope, node), ask, true), ['nodes', node, 'ask'], toSpec(true), seen);
}

const context = ({ flow, settings }: FlowScope, node: string): RenderContext => ({
  flow: flow.id,
  node,
  fields: {},
  defaults: settings.defaults,
});

function validate(
  scope: FlowScope,
  message: SendMessage,
  base: Path,
  toSpec: (rendered: Path) => Path,
  seen = new Set<string>(),
): void {
  const schema = 'text' in message ? messageSchema.options[0] : messageSchema.options[1];
  const result = schema.safeParse(message);
  if (result.success) return;
  for (const issue of result.error.issues) {
    const rendered = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const key = `${toSpec(rendered).join('.')}: ${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    scope.report.error(
      [...base, ...toSpec(rendered)],
      `Messenger would refuse this message: ${rendered.join('.') || 'message'} ${issue.message}`,
      `change the message so that ${rendered[rendered.length - 1] ?? 'it'} ${issue.message}`,
    );
  }
}

/** Maps a path in the rendered Send API message back to the `say` entry it came from. */
function sayPath(p: Path): Path {
  if (p[0] !== 'attachment') return p.slice(0, 3);
  const [, payloadKey, field, k, sub, j] = p;
  if (payloadKey !== 'payload') return [];
  if (field === 'url') return [];
  if (field === 'text') return ['text'];
  if (field === 'buttons') return ['buttons', ...(k === undefined ? [] : [k])];
  if (field !== 'elements' || k === undefined) return [];
  if (sub === 'default_action') return ['cards', k, 'url'];
  return ['cards', k, ...(sub === undefined ? [] : [sub]), ...(sub === 'buttons' && j !== undefined ? [j] : [])];
}
