import { charCount, httpsUrl, LIMITS } from '../platform/sendApiSchema';
import { interpolate } from '../engine/interpolate';
import type { MessageSpec, Settings } from '../engine/flowSchema';
import { fillDefaults, quote, type FlowScope, type Path } from './lintScope';

type Spec = Exclude<MessageSpec, { typing: number }>;
type ButtonSpec = NonNullable<Extract<MessageSpec, { text: string }>['buttons']>[number];
type CardSpec = Extract<MessageSpec, { cards: unknown }>['cards'][number];

const CALL = /^\+\d{6,15}$/;

/** A url button's link as render.ts fills it: values percent-encoded, so a placeholder cannot supply the scheme. */
const fillUrl = (url: string, settings: Settings): string =>
  interpolate(url, {}, Object.fromEntries(Object.entries(settings.defaults).map(([k, v]) => [k, encodeURIComponent(String(v))])));

/**
 * Messenger's Send API limits for one `say` message, each with its own message and fix. Lengths
 * are counted in characters (code points) after filling {{placeholders}} with settings.defaults,
 * as the engine renders them for a user with no fields. Pure.
 */
export function lintMessageLimits(scope: FlowScope, path: Path, spec: Spec): void {
  quickReplies(scope, path, spec);
  if ('text' in spec) {
    const buttons = spec.buttons ?? [];
    const max = buttons.length > 0 ? LIMITS.buttonTemplateText : LIMITS.text;
    chars(scope, [...path, 'text'], buttons.length > 0 ? 'text with buttons' : 'text', spec.text, max);
    count(
      scope,
      [...path, 'buttons'],
      `${buttons.length} buttons in one message`,
      buttons.length,
      LIMITS.buttons,
      'split them over two messages, or use cards',
    );
    buttons.forEach((b, j) => button(scope, [...path, 'buttons', j], b));
  } else if ('cards' in spec) {
    if (spec.cards.length === 0)
      scope.report.error([...path, 'cards'], 'cards is empty', 'add at least one card, or remove the message');
    count(
      scope,
      [...path, 'cards'],
      `${spec.cards.length} cards in one carousel`,
      spec.cards.length,
      LIMITS.genericElements,
      'split them over two messages',
    );
    spec.cards.forEach((c, k) => card(scope, [...path, 'cards', k], c));
  } else {
    const [kind, url] =
      'image' in spec
        ? (['image', spec.image] as const)
        : 'video' in spec
          ? (['video', spec.video] as const)
          : (['file', spec.file] as const);
    https(scope, [...path, kind], kind, url);
  }
}

/** Plain texts the engine sends: handover messages, fallbacks, questions. */
export function lintText(scope: FlowScope, path: Path, label: string, text: string): void {
  chars(scope, path, label, text, LIMITS.text);
}

function quickReplies(scope: FlowScope, path: Path, spec: Spec): void {
  const qrs = spec.quick_replies ?? [];
  count(
    scope,
    [...path, 'quick_replies'],
    `${qrs.length} quick replies on one message`,
    qrs.length,
    LIMITS.quickReplies,
    'group the options, or ask in two steps',
  );
  qrs.forEach((q, j) => {
    if (!('title' in q)) return;
    chars(scope, [...path, 'quick_replies', j, 'title'], 'quick reply title', q.title, LIMITS.quickReplyTitle);
    if (q.image_url !== undefined) https(scope, [...path, 'quick_replies', j, 'image_url'], 'quick reply image_url', q.image_url);
  });
}

function button(scope: FlowScope, path: Path, b: ButtonSpec): void {
  chars(scope, [...path, 'title'], 'button title', b.title, LIMITS.buttonTitle);
  if ('url' in b) https(scope, [...path, 'url'], 'button url', fillUrl(b.url, scope.settings));
  if ('call' in b && !CALL.test(b.call)) {
    scope.report.error(
      [...path, 'call'],
      `call number ${quote(b.call)} is not in international format`,
      'write + then the country code and number, digits only (e.g. +14155550123)',
    );
  }
}

function card(scope: FlowScope, path: Path, c: CardSpec): void {
  chars(scope, [...path, 'title'], 'card title', c.title, LIMITS.elementTitle);
  if (c.subtitle !== undefined) chars(scope, [...path, 'subtitle'], 'card subtitle', c.subtitle, LIMITS.elementSubtitle);
  if (c.image_url !== undefined) https(scope, [...path, 'image_url'], 'card image_url', c.image_url);
  if (c.url !== undefined) https(scope, [...path, 'url'], 'card url', c.url);
  const buttons = c.buttons ?? [];
  count(
    scope,
    [...path, 'buttons'],
    `${buttons.length} buttons on one card`,
    buttons.length,
    LIMITS.buttons,
    'move the others to another card',
  );
  buttons.forEach((b, j) => button(scope, [...path, 'buttons', j], b));
  if (!c.subtitle && !c.image_url && !c.url && buttons.length === 0) {
    scope.report.error(
      path,
      `card ${quote(c.title)} has only a title; Messenger refuses such a card`,
      'add a subtitle, image_url, url or buttons',
    );
  }
}

/** Exported for the ask linter (choices are quick replies). */
export function count(scope: FlowScope, path: Path, what: string, n: number, max: number, fix: string): void {
  if (n > max) scope.report.error(path, `${what}; Messenger allows at most ${max}`, `keep at most ${max}: ${fix}`);
}

/** Exported for the ask linter. */
export function chars(scope: FlowScope, path: Path, label: string, template: string, max: number): void {
  const value = fillDefaults(template, scope.settings);
  const n = charCount(value);
  if (n === 0) {
    scope.report.error(
      path,
      `${label} is empty${template ? ` once {{placeholders}} are filled (${quote(template)})` : ''}`,
      template ? 'give the placeholders a default ({{field|default}}) or add text around them' : `write a ${label}`,
    );
  } else if (n > max) {
    scope.report.error(
      path,
      `${label} ${quote(value)} has ${n} characters; Messenger allows at most ${max}`,
      `shorten it to ${max} characters or fewer`,
    );
  }
}

function https(scope: FlowScope, path: Path, label: string, url: string): void {
  if (httpsUrl.safeParse(url).success) return;
  scope.report.error(
    path,
    `${label} ${quote(url)} is not an https:// URL`,
    'use a full https:// link: Messenger refuses http:// and relative links',
  );
}
