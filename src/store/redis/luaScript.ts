import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ScriptName =
  | 'append'
  | 'audiencePrune'
  | 'audienceSetIf'
  | 'broadcastCampaign'
  | 'broadcastCreate'
  | 'broadcastStatus'
  | 'commit'
  | 'commitDeliveryMark'
  | 'forgetUser'
  | 'inboxAttempt'
  | 'inboxSetAside'
  | 'leaseAcquire'
  | 'leaseRenew'
  | 'leaseRelease'
  | 'heartbeat'
  | 'outboxAck'
  | 'rateLimit'
  | 'timerSet'
  | 'timersFire'
  | 'unmatchedCount'
  | 'webhookClaim'
  | 'webhookEnqueue'
  | 'webhookSettle';

/** Scripts that call id_after() get the shared helper prepended. */
const NEEDS_STREAM_IDS: ReadonlySet<ScriptName> = new Set(['commit', 'forgetUser', 'inboxSetAside']);

export interface LuaScript {
  readonly name: ScriptName;
  readonly source: string;
  readonly sha: string;
}

export function loadScript(name: ScriptName): LuaScript {
  const dir = join(__dirname, 'lua');
  const body = readFileSync(join(dir, `${name}.lua`), 'utf8');
  const source = NEEDS_STREAM_IDS.has(name) ? `${readFileSync(join(dir, 'streamIds.lib.lua'), 'utf8')}\n${body}` : body;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}
