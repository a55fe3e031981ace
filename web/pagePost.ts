import type { DemoStreamEvent } from '../src/cli/demoWebStream';
import { h } from './dom';

/**
 * The Page's post as one customer sees it on Facebook, above their Messenger thread: the post, the
 * customer's comments under it with the Page's public replies, and a comment box. A comment goes to
 * the demo (POST /demo/api/comments), which posts the Page feed webhook Meta would send; the
 * comment and the Page's replies come back on the stream, so the post shows what is on Facebook.
 */

/** Posts a comment; resolves with an error message to show, or undefined when the demo took it. */
export type SendComment = (customer: string, text: string) => Promise<string | undefined>;

type CommentEvent = Extract<DemoStreamEvent, { kind: 'comment' | 'comment_reply' }>;

/** The demo Page (flows/shop.yaml's shop). */
const PAGE_NAME = 'Northwind Outfitters';
/** Meta's limit on a comment's text. */
const COMMENT_MAX = 8000;

export class PagePost {
  readonly element: HTMLElement;
  private readonly comments: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly texts = new Map<string, string>();

  constructor(psid: string, name: string, sendComment: SendComment) {
    const inputId = `customer-${psid}-comment`;
    this.comments = h('ul', { class: 'comments', 'aria-label': 'Comments' });
    this.alert = h('p', { class: 'comment-alert', role: 'alert' });
    const input = h('input', {
      id: inputId,
      name: 'comment',
      autocomplete: 'off',
      maxlength: String(COMMENT_MAX),
      placeholder: 'price?',
      required: true,
    });
    const form = h(
      'form',
      { class: 'comment-box' },
      h('label', { for: inputId }, `Comment as ${name}`),
      input,
      h('button', { type: 'submit' }, 'Comment'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (text === '') return;
      input.value = '';
      this.alert.textContent = '';
      void sendComment(psid, text).then((problem) => {
        if (problem !== undefined) this.alert.textContent = `Not posted: ${problem}`;
      });
    });
    this.element = h(
      'article',
      { class: 'page-post', 'aria-label': `${PAGE_NAME}'s post` },
      h('p', { class: 'post-head' }, h('span', { class: 'who' }, PAGE_NAME), ' · Page post'),
      h('p', { class: 'post-text' }, 'New arrivals — comment below 👇'),
      this.comments,
      this.alert,
      form,
    );
  }

  /** The text of one of this customer's comments, if the post shows it. */
  textOf(commentId: string): string | undefined {
    return this.texts.get(commentId);
  }

  /** A comment by this customer, or the Page's public reply under one. */
  receive(event: CommentEvent): void {
    if (event.kind === 'comment') {
      this.texts.set(event.id, event.text);
      this.comments.append(
        h(
          'li',
          { class: 'comment', 'data-comment': event.id },
          h('p', {}, h('span', { class: 'who' }, 'You'), h('span', { class: 'said' }, event.text)),
          h('ul', { class: 'replies', 'aria-label': 'Replies' }),
        ),
      );
      this.comments.scrollTop = this.comments.scrollHeight;
      return;
    }
    const under = Array.from(this.comments.querySelectorAll<HTMLElement>('li.comment')).find(
      (li) => li.dataset.comment === event.comment,
    );
    under
      ?.querySelector('.replies')
      ?.append(
        h(
          'li',
          { class: 'comment page-reply' },
          h('p', {}, h('span', { class: 'who' }, PAGE_NAME), h('span', { class: 'said' }, event.text)),
        ),
      );
    this.comments.scrollTop = this.comments.scrollHeight;
  }
}
