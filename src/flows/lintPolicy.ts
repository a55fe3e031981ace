import { placeholders } from '../engine/interpolate';
import { reachable, triggerTarget } from './flowGraph';
import { knownFields } from './knownFields';
import type { Action, FlowNode, MessageSpec } from '../engine/flowSchema';
import type { RequestBody, RequestSpec } from '../engine/requestSchema';
import { controlsOf, nodeEntries, quote, type FlowScope, type Path } from './lintScope';

/**
 * Warnings about what users may see: placeholders that can render empty, promotional messages
 * that may go out after the 24 h window, misunderstandings that never reach a person. Pure.
 */
export function lintPolicy(scope: FlowScope): void {
  placeholderDefaults(scope);
  promotionalAfterOptin(scope);
  fallback(scope);
}

interface Template {
  readonly path: Path;
  readonly text: string;
}

/** The strings of a JSON body (a request's or a webhook's), each with its path. */
function bodyTemplates(body: RequestBody | undefined, path: Path): Template[] {
  if (typeof body === 'string') return [{ path, text: body }];
  if (Array.isArray(body)) return body.flatMap((b, i) => bodyTemplates(b, [...path, i]));
  if (body !== null && typeof body === 'object') return Object.entries(body).flatMap(([k, v]) => bodyTemplates(v, [...path, k]));
  return [];
}

const actionTemplates = (actions: readonly Action[] | undefined, base: Path): Template[] =>
  (actions ?? []).flatMap((a, i): Template[] => {
    if ('notify' in a) return [{ path: [...base, 'actions', i, 'notify'], text: a.notify }];
    if ('webhook' in a) {
      const at = [...base, 'actions', i, 'webhook'];
      return [{ path: [...at, 'url'], text: a.webhook.url }, ...bodyTemplates(a.webhook.body, [...at, 'body'])];
    }
    if (!('set' in a)) return [];
    return Object.entries(a.set).flatMap(([k, v]) =>
      typeof v === 'string' ? [{ path: [...base, 'actions', i, 'set', k], text: v }] : [],
    );
  });

function messageTemplates(m: MessageSpec, base: Path): Template[] {
  const t = (text: string | undefined, ...rest: Array<string | number>): Template[] =>
    text === undefined ? [] : [{ path: [...base, ...rest], text }];
  if ('typing' in m) return [];
  const buttons = (bs: ReadonlyArray<{ title: string; url?: string }> | undefined, ...at: Array<string | number>) =>
    (bs ?? []).flatMap((b, j) => [...t(b.title, ...at, j, 'title'), ...t(b.url, ...at, j, 'url')]);
  return [
    ...(m.quick_replies ?? []).flatMap((q, j) => ('title' in q ? t(q.title, 'quick_replies', j, 'title') : [])),
    ...('text' in m ? [...t(m.text, 'text'), ...buttons(m.buttons, 'buttons')] : []),
    ...('cards' in m
      ? m.cards.flatMap((c, k) => [
          ...t(c.title, 'cards', k, 'title'),
          ...t(c.subtitle, 'cards', k, 'subtitle'),
          ...buttons(c.buttons, 'cards', k, 'buttons'),
        ])
      : []),
  ];
}

/** A request's URL, header values, body strings and card texts (an unset field makes a wrong call). */
function requestTemplates(r: RequestSpec | undefined, base: Path): Template[] {
  if (!r) return [];
  return [
    { path: [...base, 'url'], text: r.url },
    ...Object.entries(r.headers ?? {}).map(([name, text]) => ({ path: [...base, 'headers', name], text })),
    ...bodyTemplates(r.body, [...base, 'body']),
    ...(r.cards ? [{ path: [...base, 'cards', 'title'], text: r.cards.title }] : []),
    ...(r.cards?.subtitle !== undefined ? [{ path: [...base, 'cards', 'subtitle'], text: r.cards.subtitle }] : []),
  ];
}

/** Every string of a node the engine fills with {{placeholders}}. */
function nodeTemplates(scope: FlowScope, id: string, node: FlowNode): Template[] {
  const base: Path = ['nodes', id];
  const ask = node.ask;
  return [
    ...actionTemplates(node.actions, base),
    ...(node.say ?? []).flatMap((m, i) => messageTemplates(m, [...base, 'say', i])),
    ...(ask ? [{ path: [...base, 'ask', 'text'], text: ask.text }] : []),
    ...(ask?.invalid !== undefined ? [{ path: [...base, 'ask', 'invalid'], text: ask.invalid }] : []),
    ...(ask?.choices ?? []).map((c, i) => ({ path: [...base, 'ask', 'choices', i, 'title'], text: c.title })),
    ...(node.handover?.message !== undefined ? [{ path: [...base, 'handover', 'message'], text: node.handover.message }] : []),
    ...requestTemplates(node.request, [...base, 'request']),
    ...controlsOf(scope.flow, id).flatMap((c) => actionTemplates(c.control.actions, c.path)),
  ];
}

/** {{field}} with no default anywhere, unless every way to the node sets the field (e.g. an answered ask). */
function placeholderDefaults(scope: FlowScope): void {
  const defaults = scope.settings.defaults;
  const known = knownFields(scope.flow);
  for (const [id, node] of nodeEntries(scope.flow)) {
    for (const { path, text } of nodeTemplates(scope, id, node)) {
      const set = (path[2] === 'actions' ? known.onEntry : known.afterActions).get(id);
      for (const p of placeholders(text)) {
        if (p.hasDefault || defaults[p.name] !== undefined || set?.has(p.name)) continue;
        scope.report.warn(
          path,
          `{{${p.name}}} has no default: for a user without ${p.name} it renders as an empty string`,
          `write {{${p.name}|something}} or add ${p.name} to defaults in settings.yaml`,
        );
      }
    }
  }
}

/** Promotional messages in nodes that only opt-in triggers lead to. */
function promotionalAfterOptin({ flow, report }: FlowScope): void {
  const optins = flow.triggers.filter((t) => 'optin' in t);
  if (optins.length === 0) return;
  const others = flow.triggers.filter((t) => !('optin' in t)).map((t) => triggerTarget(flow, t));
  const fromConversation = reachable(flow, [flow.start, ...(flow.entry ? [flow.entry] : []), ...others]);
  const fromOptin = reachable(
    flow,
    optins.map((t) => triggerTarget(flow, t)),
  );
  for (const id of fromOptin) {
    if (fromConversation.has(id)) continue;
    (flow.nodes[id]?.say ?? []).forEach((m, i) => {
      if ('typing' in m || m.promotional !== true) return;
      report.warn(
        ['nodes', id, 'say', i, 'promotional'],
        `promotional message in node ${quote(id)}, which only opt-in triggers lead to: users who opt in are not necessarily inside the 24 h window, and promotional messages are only sent inside it`,
        'send the offer after the user has replied (e.g. behind a quick reply), or make the message non-promotional; delays in sequences are checked by the sequence linter',
      );
    });
  }
}

function fallback({ flow, report }: FlowScope): void {
  if (!flow.fallback) {
    report.warn(
      ['id'],
      `flow ${quote(flow.id)} has no fallback: users it does not understand get a generic reply and never reach a person`,
      'add fallback: { text: …, escalate_after: 2 }',
    );
  } else if (flow.fallback.escalate_after === undefined) {
    report.warn(
      ['fallback'],
      `fallback of flow ${quote(flow.id)} has no escalate_after: a user it keeps misunderstanding never reaches a person`,
      `add escalate_after: 2 (then escalate: ${flow.fallback.escalate} applies)`,
    );
  }
}
