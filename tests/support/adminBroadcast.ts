import type { SpawnedService } from './spawnService';

/** An admin token (marketer role) for a spawned service: ADMIN_TOKENS value and the bearer token. */
export const MARKETER_TOKEN = 'bench-marketer-token-0123456789';
export const MARKETER_TOKENS_ENV = `bench:marketer:${MARKETER_TOKEN}`;

/** A promotional broadcast to everyone subscribed to `topic`, with one text message. */
export const promoDefinition = (id: string, text: string, topic = 'offers'): string =>
  `id: ${id}
name: ${id}
kind: promotional
topic: ${topic}
audience: { where: ["consent.${topic}=yes"] }
messages:
  - text: "${text}"
`;

/** The admin API's port of a spawned service (its "admin API listening" line; ADMIN_PORT=0 picks one). */
export function adminPortOf(service: SpawnedService): number {
  const line = service.logs.find((l) => l.msg === 'admin API listening');
  if (!line) throw new Error('the service serves no admin API: set ADMIN_TOKENS and ADMIN_PORT');
  return Number(line.port);
}

/** Creates a broadcast through POST /admin/broadcasts as a marketer would; throws unless created. */
export async function createBroadcast(service: SpawnedService, definition: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${adminPortOf(service)}/admin/broadcasts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MARKETER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ definition }),
  });
  if (res.status !== 201) throw new Error(`POST /admin/broadcasts answered ${res.status}: ${await res.text()}`);
}

/** A broadcast's counters (BroadcastStore.stats) read as progress. */
export interface BroadcastProgress {
  readonly targeted: number;
  readonly queued: number;
  readonly sent: number;
  /** Skipped in the lane (no consent, outside the window… decided before queueing). */
  readonly skippedByLane: number;
  /** Queued, then skipped by the sender at send time (its re-check, an erased user, a cancel). */
  readonly skippedBySender: number;
  readonly failed: number;
  /** Every lane decision made for `users` members, and every queued send finished. */
  settled(users: number): boolean;
}

export function progressOf(stats: Readonly<Record<string, number>>): BroadcastProgress {
  const sum = (prefix: string) =>
    Object.entries(stats)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((a, [, v]) => a + v, 0);
  const targeted = stats.targeted ?? 0;
  const queued = stats.queued ?? 0;
  const sent = stats.sent ?? 0;
  const skippedByLane = targeted - queued;
  const skippedBySender = sum('skipped:') - skippedByLane;
  const failed = sum('failed:');
  return {
    targeted,
    queued,
    sent,
    skippedByLane,
    skippedBySender,
    failed,
    settled: (users) => targeted === users && sent + skippedBySender + failed === queued,
  };
}
