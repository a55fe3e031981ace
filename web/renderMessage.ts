import type { SendButton, SendMessage } from '../src/platform/sendApiSchema';
import { h } from './dom';

/**
 * A bot message drawn as Messenger shows it: a text bubble, a carousel of cards, a button template
 * or an attachment. Images are never fetched (the page works offline and loads nothing from
 * outside): a box with the card's title stands in for each.
 */

/** A tap on a postback button: the customer sends its payload, with its title as what they "said". */
export type OnPostback = (title: string, payload: string) => void;

type Template = Extract<NonNullable<Extract<SendMessage, { attachment: unknown }>['attachment']>, { type: 'template' }>;
type GenericPayload = Extract<Template['payload'], { template_type: 'generic' }>;
type Card = GenericPayload['elements'][number];

function button(b: SendButton, onPostback: OnPostback): HTMLElement {
  switch (b.type) {
    case 'postback': {
      const el = h('button', { type: 'button', class: 'card-button' }, b.title);
      el.addEventListener('click', () => onPostback(b.title, b.payload));
      return el;
    }
    case 'web_url':
      // A link the customer may follow; nothing is loaded until they do.
      return h('a', { class: 'card-button', href: b.url, target: '_blank', rel: 'noopener noreferrer' }, `${b.title} ↗`);
    case 'phone_number':
      return h('a', { class: 'card-button', href: `tel:${b.payload}` }, `${b.title} ☎`);
  }
}

const buttons = (list: readonly SendButton[] | undefined, onPostback: OnPostback) =>
  list && list.length > 0 ? h('div', { class: 'buttons' }, ...list.map((b) => button(b, onPostback))) : undefined;

/** Where an image would be: its title (or what kind of file it is) in a box, never the remote URL loaded. */
function imagePlaceholder(label: string, url: string): HTMLElement {
  let host: string;
  try {
    host = new URL(url).host;
  } catch {
    host = 'an unknown address';
  }
  return h(
    'div',
    { class: 'image-placeholder', role: 'img', 'aria-label': `Image: ${label} (not loaded: the demo works offline)` },
    h('span', { class: 'image-label' }, label),
    h('span', { class: 'image-host' }, `image from ${host}, not loaded`),
  );
}

function card(element: Card, onPostback: OnPostback): HTMLElement {
  return h(
    'li',
    { class: 'card' },
    element.image_url ? imagePlaceholder(element.title, element.image_url) : undefined,
    h('p', { class: 'card-title' }, element.title),
    element.subtitle ? h('p', { class: 'card-subtitle' }, element.subtitle) : undefined,
    element.default_action
      ? h('a', { class: 'card-link', href: element.default_action.url, target: '_blank', rel: 'noopener noreferrer' }, 'Open ↗')
      : undefined,
    buttons(element.buttons, onPostback),
  );
}

function template(payload: Template['payload'], onPostback: OnPostback): HTMLElement {
  if (payload.template_type === 'button')
    return h('div', { class: 'bubble bot button-template' }, h('p', {}, payload.text), buttons(payload.buttons, onPostback));
  const count = payload.elements.length;
  return h(
    'ul',
    { class: 'carousel', 'aria-label': `${count} card${count === 1 ? '' : 's'}`, tabindex: '0' },
    ...payload.elements.map((e) => card(e, onPostback)),
  );
}

/** The bot's message as it appears in the conversation (quick replies are drawn apart, by the panel). */
export function renderMessage(message: SendMessage, onPostback: OnPostback): HTMLElement {
  if ('text' in message) return h('p', { class: 'bubble bot' }, message.text);
  const a = message.attachment;
  if (a.type === 'template') return template(a.payload, onPostback);
  return h(
    'div',
    { class: 'bubble bot attachment' },
    a.type === 'image' ? imagePlaceholder('Picture', a.payload.url) : h('span', {}, `${a.type} attachment`),
    h('a', { href: a.payload.url, target: '_blank', rel: 'noopener noreferrer' }, `Open the ${a.type} ↗`),
  );
}
