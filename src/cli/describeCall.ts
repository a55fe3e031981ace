import type { FakeCall } from '../emulator/fakeGraphApi';

const oneLine = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' / ');

/** One line for a message Talkshop sent, as the demo shows it. */
export function describeMessage(psid: string, message: unknown): string {
  const m = (message ?? {}) as {
    text?: string;
    quick_replies?: Array<{ title?: string; content_type: string }>;
    attachment?: { type: string; payload?: Record<string, unknown> };
  };
  const options = (m.quick_replies ?? []).map((q) => `[${q.title ?? q.content_type}]`).join(' ');
  const template = m.attachment?.type === 'template' ? m.attachment.payload : undefined;
  const body =
    m.text ??
    (template?.template_type === 'button'
      ? `${String(template.text)} ${((template.buttons as Array<{ title: string }>) ?? []).map((b) => `<${b.title}>`).join(' ')}`
      : undefined) ??
    (template?.template_type === 'generic'
      ? `carousel: ${((template.elements as Array<{ title: string }>) ?? []).map((e) => e.title).join(' | ')}`
      : undefined) ??
    `(${m.attachment?.type ?? 'message'})`;
  // One line whatever the text: its lines (a disclosure paragraph before the flow's text) joined by ' / '.
  return `bot → ${psid}: ${oneLine(body)}${options ? `  ${options}` : ''}`;
}

/** What the demo prints for a call that reached the local fake Graph API (undefined: nothing). */
export function describeCall(call: FakeCall): string | undefined {
  const body = (call.body ?? {}) as {
    message?: unknown;
    messaging_type?: string;
    target_app_id?: string;
    recipient?: { comment_id?: string; post_id?: string };
  };
  if (call.status !== 200) return undefined;
  // Comments to Messenger: the private reply names the comment (the person's PSID comes with their answer), the public one is posted under it.
  const commented = body.recipient?.comment_id ?? body.recipient?.post_id;
  if (call.endpoint === 'messages' && commented !== undefined && body.message)
    return `${describeMessage(`comment ${commented}`, body.message)}   (PRIVATE REPLY)`;
  if (call.endpoint === 'comment_reply' && typeof body.message === 'string')
    return `bot → under comment ${call.path.split('/').at(-2) ?? '?'}: ${oneLine(body.message)}   (PUBLIC REPLY)`;
  if (!call.recipientId) return undefined;
  if (call.endpoint === 'messages' && body.message)
    return `${describeMessage(call.recipientId, body.message)}   (${body.messaging_type})`;
  if (call.endpoint === 'thread_control' && body.target_app_id)
    return `bot → ${call.recipientId}: (thread passed to app ${String(body.target_app_id)}: a person takes over)`;
  return undefined;
}
