import type { FakeCall, FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { DEFAULT_USERS_IN_FLIGHT } from '../../src/runtime/outboxSender';
import type { SpawnedService } from './spawnService';
import { testEnv } from './testEnv';

/**
 * What the kill -9 tests (broadcastCrash, sequenceCrash) share: a service spawned on `partitions`
 * against the fake, and the count of one text's sends at the fake that kills the service mid-send.
 */

/** The env of the crash tests' service (ROLE=all), plus `extra`. */
export const crashEnv = (partitions: number, fake: FakeGraphApi, extra: Record<string, string> = {}) =>
  testEnv({
    ROLE: 'all',
    INBOX_PARTITIONS: String(partitions),
    GRAPH_API_URL: fake.url,
    // The limiter is not under test: at its maxima it never holds a send back.
    SEND_RATE_PER_SEC: '10000',
    SEND_BURST: '1000',
    // Both processes: the dead one's leases expire soon, and the new one's are what a restart gets.
    LEASE_TTL_MS: '2000',
    ...extra,
  });

export interface CrashSends {
  /** Sends of the text per recipient, counted as calls arrive (not from the fake's record, which has a cap). */
  readonly received: Map<string, number>;
  /** When the victim was killed (undefined until then). */
  killedAt(): { readonly sends: number; readonly at: number } | undefined;
  unsubscribe(): void;
}

/** Counts the 200 sends of `text` at the fake and kills `victim()` with SIGKILL at the `killAfter`th. */
export function killAfterSends(
  fake: FakeGraphApi,
  text: string,
  killAfter: number,
  victim: () => SpawnedService | undefined,
): CrashSends {
  const received = new Map<string, number>();
  let sends = 0;
  let killedAt: { sends: number; at: number } | undefined;
  const isSend = (c: FakeCall) =>
    c.endpoint === 'messages' && c.status === 200 && (c.body as { message?: { text?: string } }).message?.text === text;
  const unsubscribe = fake.onCall((call) => {
    if (!isSend(call)) return;
    const to = call.recipientId ?? '';
    received.set(to, (received.get(to) ?? 0) + 1);
    sends += 1;
    const proc = victim();
    if (!killedAt && proc && sends >= killAfter) {
      // Inside a send: this call reached the fake, its 200 has not been answered yet.
      proc.proc.kill('SIGKILL');
      killedAt = { sends, at: Date.now() };
    }
  });
  return { received, killedAt: () => killedAt, unsubscribe };
}

/**
 * The sends beyond one per recipient, and their bound: DEFAULT_USERS_IN_FLIGHT per partition, and
 * per lease the restarted service lost on a loaded machine (its TTL is short here), since that
 * re-sends the partition's sends in flight as well.
 */
export function duplicatesOf(received: ReadonlyMap<string, number>, partitions: number, restarted: SpawnedService) {
  const duplicates = [...received.values()].reduce((sum, n) => sum + (n - 1), 0);
  const leasesLost = restarted.logs.filter((l) => l.msg === 'lease lost; another worker owns this partition now').length;
  return { duplicates, leasesLost, bound: (partitions + leasesLost) * DEFAULT_USERS_IN_FLIGHT };
}
