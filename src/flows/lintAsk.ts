import { normalize } from '../engine/normalize';
import { LIMITS } from '../platform/sendApiSchema';
import type { Ask } from '../engine/flowSchema';
import { chars, count } from './lintLimits';
import { fillDefaults, quote, regexError, regexRisk, type FlowScope } from './lintScope';

/**
 * A question (`ask`): where failed answers go, that its capture can succeed (pattern, choices,
 * min/max), and Messenger's limits on the question and its choices, which become quick replies.
 * Pure.
 */
export function lintAsk(scope: FlowScope, node: string, ask: Ask): void {
  const at = (...rest: Array<string | number>) => ['nodes', node, 'ask', ...rest];
  const { report } = scope;
  if (ask.on_fail === undefined) {
    report.error(
      at(),
      `ask of node ${quote(node)} has no on_fail: after ${ask.retries} failed retries the user would be handed over without a word from the flow`,
      'add on_fail: <node> (e.g. a handover node)',
    );
  }
  capture(scope, node, ask);
  if (ask.min !== undefined && ask.max !== undefined && ask.min > ask.max) {
    report.error(
      at('min'),
      `min ${ask.min} is greater than max ${ask.max}: no answer can be valid`,
      'swap min and max, or fix one of them',
    );
  }
  chars(scope, at('text'), 'question text', ask.text, LIMITS.text);
  const invalid = ask.invalid ?? `Sorry, that doesn't look right. ${ask.text}`;
  if (fillDefaults(ask.text, scope.settings) !== '')
    chars(scope, at(ask.invalid === undefined ? 'text' : 'invalid'), 'invalid-answer text', invalid, LIMITS.text);
  choices(scope, node, ask);
}

function capture({ report }: FlowScope, node: string, ask: Ask): void {
  const at = (...rest: Array<string | number>) => ['nodes', node, 'ask', ...rest];
  if (ask.capture === 'regex') {
    const problem = ask.pattern === undefined ? 'has no pattern' : regexError(ask.pattern, 'u');
    if (problem)
      report.error(
        at(ask.pattern === undefined ? 'capture' : 'pattern'),
        `capture: regex ${ask.pattern === undefined ? problem : `pattern does not compile: ${problem}`}`,
        'write a valid JavaScript regular expression in pattern, e.g. pattern: "^\\\\d{6}$"',
      );
    // Matched case-insensitively at run time (validateAnswer), so checked with the same flags.
    const risk = problem || ask.pattern === undefined ? undefined : regexRisk(ask.pattern, 'iu');
    if (risk) report.error(at('pattern'), `capture: regex pattern ${quote(ask.pattern ?? '')} ${risk.problem}`, risk.fix);
  } else if (ask.pattern !== undefined) {
    report.warn(
      at('pattern'),
      `pattern is ignored: capture is ${ask.capture}, not regex`,
      'use capture: regex, or remove pattern',
    );
  }
  if (ask.capture === 'choice' && (ask.choices ?? []).length === 0) {
    report.error(
      at('capture'),
      'capture: choice has no choices: no answer can be valid',
      'add choices: [{ title: …, goto: … }, …]',
    );
  } else if (ask.capture !== 'choice' && ask.choices !== undefined) {
    report.warn(
      at('choices'),
      `choices only match with capture: choice; with capture: ${ask.capture} a tapped choice is validated as ${ask.capture}`,
      'use capture: choice, or remove choices',
    );
  }
  if ((ask.min !== undefined || ask.max !== undefined) && ask.capture !== 'number' && ask.capture !== 'text') {
    report.warn(
      at(ask.min !== undefined ? 'min' : 'max'),
      `min/max are ignored with capture: ${ask.capture}`,
      'remove them, or use capture: number or text',
    );
  }
}

function choices(scope: FlowScope, node: string, ask: Ask): void {
  const list = ask.choices ?? [];
  const at = (...rest: Array<string | number>) => ['nodes', node, 'ask', 'choices', ...rest];
  const chip = ask.capture === 'email' || ask.capture === 'phone' ? 1 : 0;
  const what = `${list.length} choices${chip ? ` plus Messenger's ${ask.capture} quick reply` : ''} on one question`;
  count(
    scope,
    at(),
    what,
    list.length + chip,
    LIMITS.quickReplies,
    'choices become quick replies; group them, or ask in two steps',
  );
  const seen = new Map<string, number>();
  list.forEach((c, i) => {
    chars(scope, at(i, 'title'), 'choice title', c.title, LIMITS.quickReplyTitle);
    const key = normalize(fillDefaults(c.title, scope.settings));
    const first = seen.get(key);
    if (first !== undefined)
      scope.report.warn(
        at(i, 'title'),
        `choice ${quote(c.title)} reads the same as choice ${first + 1}; typed answers always match the first`,
        'give each choice a distinct title',
      );
    else seen.set(key, i);
  });
}
