import type { EngineEffect } from '../../src/engine/effects';
import { initialUserState } from '../../src/engine/userState';
import { encodeEffect } from '../../src/runtime/decodeEffect';
import type { Store } from '../../src/store/ports';

/**
 * Puts outbox entries in place on partition 0 of Page `p` the way the worker would: one inbox
 * message per user (PSID), read, and committed under a fresh lease with an open messaging window
 * and `effectsOf(user)`. Returns the lease token a sender runs under.
 */
export async function seedOutbox(
  store: Store,
  users: readonly string[],
  effectsOf: (user: string) => EngineEffect[],
): Promise<string> {
  const now = Date.now();
  await store.inbox.append(
    users.map((u) => ({
      partition: 0,
      dedupeKey: `mid:${u}`,
      record: {
        source: 'webhook' as const,
        event: { kind: 'message', channel: 'messaging', pageId: 'p', userId: u, timestamp: now, dedupeKey: `mid:${u}`, raw: {} },
      },
    })),
  );
  const items = await store.inbox.readNew(new Map([[0, '0-0']]), users.length, 10);
  const token = (await store.leases.acquire(0, 'w', 60_000)) as string;
  const state = { ...initialUserState(), lastInboundAt: now, windowEndsAt: now + 24 * 3600_000 };
  await store.states.commit({
    partition: 0,
    leaseToken: token,
    items: items.map((item, i) => ({
      itemId: item.id,
      userKey: `p:${users[i]}`,
      expectedVersion: 0,
      data: state,
      effects: effectsOf(users[i] as string).map(encodeEffect),
    })),
  });
  return token;
}
