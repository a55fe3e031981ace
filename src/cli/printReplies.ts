import type { Store } from '../store/ports';

/** One line per reply the bot queued, as the demo shows them (the sender arrives with #4). */
export function describeReply(userKey: string, effect: Readonly<Record<string, unknown>>): string | undefined {
  if (effect.type !== 'send') return undefined;
  const message = (effect.message ?? {}) as { text?: string; quick_replies?: Array<{ title?: string; content_type: string }>; attachment?: { type: string; payload?: Record<string, unknown> } };
  const user = userKey.split(':').pop();
  const options = (message.quick_replies ?? []).map((q) => `[${q.title ?? q.content_type}]`).join(' ');
  const attachment = message.attachment;
  const template = attachment?.type === 'template' ? attachment.payload : undefined;
  const body =
    message.text ??
    (template?.template_type === 'button' ? `${String(template.text)} ${((template.buttons as Array<{ title: string }>) ?? []).map((b) => `<${b.title}>`).join(' ')}` : undefined) ??
    (template?.template_type === 'generic' ? `carousel: ${((template.elements as Array<{ title: string }>) ?? []).map((e) => e.title).join(' | ')}` : undefined) ??
    `(${attachment?.type ?? 'message'})`;
  return `bot → ${user}: ${body}${options ? `  ${options}` : ''}`;
}

/**
 * Polls every partition's outbox and prints new replies: the demo's stand-in for Messenger until
 * the sender and the emulator exist. Returns a function that stops it.
 */
export function printReplies(store: Store, partitions: number, write: (line: string) => void, everyMs = 200): () => void {
  const seen = new Map<number, string>();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (let p = 0; p < partitions; p++) {
        for (const entry of await store.states.readOutbox(p, seen.get(p) ?? '0-0', 100)) {
          seen.set(p, entry.id);
          const line = describeReply(entry.userKey, entry.effect);
          if (line) write(line);
        }
      }
    } catch {
      // The store may be restarting; the next tick tries again.
    } finally {
      busy = false;
    }
  }, everyMs);
  return () => clearInterval(timer);
}
