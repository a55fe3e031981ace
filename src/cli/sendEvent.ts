import { randomUUID } from 'node:crypto';
import { signBody } from '../webhook/verifySignature';

export interface SendEventOptions {
  readonly url: string;
  readonly appSecret: string;
  readonly pageId: string;
  readonly userId: string;
  readonly text: string;
  readonly now: number;
}

/** Builds a Messenger text-message webhook body, as Meta would POST it. */
export function textMessageBody(pageId: string, userId: string, text: string, now: number, mid = `m_${randomUUID()}`): string {
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: now,
        messaging: [{ sender: { id: userId }, recipient: { id: pageId }, timestamp: now, message: { mid, text } }],
      },
    ],
  });
}

/** Signs and POSTs one text message to a running Talkshop; returns the HTTP status and body. */
export async function sendEvent(o: SendEventOptions): Promise<{ status: number; body: string }> {
  const body = textMessageBody(o.pageId, o.userId, o.text, o.now);
  const res = await fetch(o.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, o.appSecret) },
    body,
  });
  return { status: res.status, body: await res.text() };
}
