import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeGraphApi } from '../../src/emulator/fakeGraphApi';

/**
 * Flows that call servers the test runs on 127.0.0.1 (a shop, the fake language model), and what
 * the fake Graph API shows of the bot's answers. Shared by the end-to-end tests of flow requests
 * and of the questions' language model.
 */

export interface LoopbackSettings {
  /** Environment variables flows may use as {{secret.NAME}}. */
  readonly secrets?: readonly string[];
  /** The environment variable holding the outgoing webhooks' signing key. */
  readonly signingSecret?: string;
}

/** settings.yaml allowing plain http to this machine (requests.hosts), with secrets and a signing key if given. */
export function loopbackSettings(o: LoopbackSettings = {}): string {
  const lines = ['requests:', '  hosts:', '    - host: 127.0.0.1', '      http: true', '      private: true'];
  if (o.secrets) lines.push(`  secrets: [${o.secrets.join(', ')}]`);
  if (o.signingSecret) lines.push('webhooks:', `  signing_secret: ${o.signingSecret}`);
  return `${lines.join('\n')}\n`;
}

/** A temporary FLOWS_DIR holding `files` (name → content); the caller removes it. */
export function flowsDir(prefix: string, files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** The texts the bot sent `psid`, oldest first. */
export const sentTexts = (fake: FakeGraphApi, psid: string): string[] =>
  fake.sentMessages(psid).map((c) => String((c.body as { message?: { text?: string } }).message?.text));

/** A waitFor condition: the bot's last message to `psid` is `text` (a first one opens with the disclosure paragraph). */
export const lastSaidIs = (fake: FakeGraphApi, psid: string, text: string) => (): true | undefined =>
  sentTexts(fake, psid).at(-1)?.split('\n\n').at(-1) === text ? true : undefined;
