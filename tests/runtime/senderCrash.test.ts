/**
 * Crash test for the outbox sender (issue #4): kill -9 the sender while 2,000 replies are being
 * sent to the fake Graph API → after a restart every reply is sent, and no reply is sent twice
 * beyond the in-flight window.
 *
 * One ROLE=web process and one ROLE=worker process (the worker runs the sender beside its apply
 * loop, per held partition) on Redis; the fake Graph API runs here, in the test process, and
 * answers at once (no latency). 2,000 distinct users each send "menu", which with the shipped
 * flows produces exactly one reply per event (mark_seen + "Pick one, or just type your
 * question."), so 2,000 replies in all, one per recipient. When the 500th reply reaches the fake
 * the worker is SIGKILLed (no chance to ack, release leases or close sockets); a fresh worker
 * process then waits out the dead one's leases, takes the partitions and resumes each outbox at
 * its first unacknowledged entry. Only the worker that is killed has a short lease (so the
 * takeover comes soon); the test waits for the takeover's outcome, every reply delivered.
 *
 * In-flight window: a partition's sender delivers up to DEFAULT_USERS_IN_FLIGHT users at a time
 * and acks each entry (under the lease) only after Meta's 200, so at the kill at most that many
 * replies per held partition can have reached the fake without being acked: ≤ 16 × 4 duplicates.
 * The count is printed so it can be quoted.
 */
import { textMessageBody } from '../../src/cli/sendEvent';
import { type FakeCall, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { DEFAULT_USERS_IN_FLIGHT } from '../../src/runtime/outboxSender';
import type { Store } from '../../src/store/ports';
import { deletePrefix } from '../support/redisKeys';
import { observeRedis, partitionsUpTo, settled } from '../support/settled';
import { spawnService, type SpawnedService, killAll } from '../support/spawnService';
import { TEST_PAGE, testEnv } from '../support/testEnv';
import { keepAlive, postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';
import { disclosed } from '../support/demoDisclosure';

const PARTITIONS = 16;
const USERS = 2_000;
const KILL_AFTER_REPLIES = 500;
const CONNECTIONS = 32;
// Each user's only message is their first: the demo's disclosure opens the reply.
const REPLY = disclosed('Pick one, or just type your question.');

let fake: FakeGraphApi;
let env: Record<string, string | undefined>;
let store: Store | undefined;
const procs: SpawnedService[] = [];

const psid = (u: number) => `sc-u${u}`;
const isReply = (c: FakeCall) => c.endpoint === 'messages' && c.status === 200;
const textOf = (c: FakeCall) => (c.body as { message?: { text?: string } }).message?.text;

beforeAll(async () => {
  fake = await startTestGraphApi();
  env = testEnv({
    INBOX_PARTITIONS: String(PARTITIONS),
    GRAPH_API_URL: fake.url,
    // Unthrottled for this test: the limiter is not what is under test here.
    SEND_RATE_PER_SEC: '5000',
    SEND_BURST: '1000',
  });
});

afterAll(async () => {
  await killAll(procs);
  await fake?.stop();
  await store?.close();
  if (env) await deletePrefix(env.REDIS_KEY_PREFIX as string);
});

it('after kill -9 mid-stream and a restart, every reply is sent and none twice beyond the in-flight window', async () => {
  const web = await spawnService({ ...env, ROLE: 'web' });
  procs.push(web);
  // Long enough to hold on a busy machine (a lease lost before the kill would add re-sends the
  // kill did not cause), short enough that the takeover does not wait long.
  const first = await spawnService({ ...env, ROLE: 'worker', LEASE_TTL_MS: '5000' });
  procs.push(first);

  // Kill the worker the moment the 500th reply reaches the fake: the call is recorded (Meta got
  // it) but its 200 has not been answered yet, so the kill lands inside a send, mid-stream.
  let replies = 0;
  let killedAt: { replies: number; calls: number; ms: number; at: number } | undefined;
  const started = Date.now();
  const unsubscribe = fake.onCall((call) => {
    if (!isReply(call) || killedAt) return;
    if (++replies === KILL_AFTER_REPLIES) {
      first.proc.kill('SIGKILL');
      killedAt = { replies, calls: fake.callCount, ms: Date.now() - started, at: Date.now() };
    }
  });

  // 2,000 distinct users each say "menu" (one reply each), over keep-alive connections.
  const agent = keepAlive(CONNECTIONS);
  const failures: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < USERS) {
      const u = next++;
      const res = await postSigned(
        web.port,
        textMessageBody(TEST_PAGE, psid(u), 'menu', started + u, `m_sc_${env.REDIS_KEY_PREFIX}_${u}`),
        agent,
      ).catch((err: Error) => ({ status: 0, body: err.message }));
      if (res.status !== 200) failures.push(`${u}: ${res.status} ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, lane));
  agent.destroy();
  expect(failures.slice(0, 5)).toEqual([]);

  // The kill really happened, by SIGKILL, while replies were still outstanding.
  await waitFor('the 500th reply at the fake (and the kill)', () => killedAt);
  unsubscribe();
  expect(await first.exited()).toBeNull();
  expect(first.proc.signalCode).toBe('SIGKILL');
  const repliesAtKill = fake.calls.filter(isReply).length;
  expect(repliesAtKill).toBeLessThan(USERS);

  // A fresh worker process takes over once the dead one's leases expire.
  const second = await spawnService({ ...env, ROLE: 'worker' });
  procs.push(second);
  const restartedMs = Date.now() - started;

  const perRecipient = () => {
    const counts = new Map<string, number>();
    for (const c of fake.calls) if (isReply(c)) counts.set(c.recipientId ?? '', (counts.get(c.recipientId ?? '') ?? 0) + 1);
    return counts;
  };
  store = await observeRedis(env.REDIS_KEY_PREFIX as string);
  await waitFor('every reply at the fake', () => {
    const counts = perRecipient();
    return Array.from({ length: USERS }, (_, u) => counts.has(psid(u))).every(Boolean) ? true : undefined;
  }).catch(async (err: Error) => {
    const counts = perRecipient();
    const missing = Array.from({ length: USERS }, (_, u) => psid(u)).filter((p) => !counts.has(p));
    const all = partitionsUpTo(PARTITIONS);
    const where = {
      inbox: await store!.inbox.pendingCounts(all),
      outbox: await Promise.all(all.map(async (p) => (await store!.states.readOutbox(p, '0-0', 10_000)).length)),
      second: second.logs.filter((l) => Number(l.level) >= 40).slice(0, 5),
    };
    throw new Error(
      `${err.message}: ${missing.length} recipients without a reply, e.g. ${missing.slice(0, 5).join(', ')}; ${JSON.stringify(where)}`,
    );
  });
  // Any straggler (a late duplicate) has arrived once every outbox entry is recorded as done: a
  // send reaches the fake before its entry is acked, and the dead worker sends nothing more.
  await settled(store, partitionsUpTo(PARTITIONS), 'every outbox entry recorded as done');
  const doneMs = Date.now() - started;

  // Every expected (recipient, text) pair arrived, and nothing else did.
  const replyCalls = fake.calls.filter(isReply);
  const seen = new Map<string, number>();
  for (const c of replyCalls) {
    const key = `${c.recipientId}\u0000${textOf(c)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const expected = Array.from({ length: USERS }, (_, u) => `${psid(u)}\u0000${REPLY}`);
  expect(expected.filter((k) => !seen.has(k)).slice(0, 5)).toEqual([]);
  expect(seen.size).toBe(USERS); // no unexpected recipient or text
  expect(fake.calls.filter((c) => c.status !== 200).slice(0, 3)).toEqual([]);

  // Duplicates: the same (recipient, text) sent more than once (each user gets exactly one reply).
  const duplicates = [...seen.values()].reduce((sum, n) => sum + (n - 1), 0);
  const seenCounts = new Map<string, number>();
  for (const c of fake.calls)
    if (c.endpoint === 'sender_action' && c.status === 200) {
      const key = `${c.recipientId}\u0000${(c.body as { sender_action: string }).sender_action}`;
      seenCounts.set(key, (seenCounts.get(key) ?? 0) + 1);
    }
  // How long before the kill each duplicated reply's first copy reached the fake (its 200 came back
  // but the ack was lost with the process): the in-flight window, in ms.
  const firstAt = new Map<string, number>();
  for (const c of replyCalls) if (!firstAt.has(c.recipientId ?? '')) firstAt.set(c.recipientId ?? '', c.at);
  const dupLeadMs = [...seen.entries()]
    .filter(([, n]) => n > 1)
    .map(([k]) => killedAt!.at - firstAt.get(k.split('\u0000', 1)[0]!)!);
  const actionDuplicates = [...seenCounts.values()].reduce((sum, n) => sum + (n - 1), 0);
  console.log(
    `senderCrash: ${USERS} replies expected, ${replyCalls.length} reply calls at the fake, duplicate replies ${duplicates} ` +
      `(bound: ${PARTITIONS * DEFAULT_USERS_IN_FLIGHT} in flight, ${DEFAULT_USERS_IN_FLIGHT} per partition), duplicate sender actions ${actionDuplicates}; ` +
      `killed at ${killedAt!.replies} replies (${killedAt!.ms} ms), ${repliesAtKill} replies recorded by the time it had exited, ` +
      `duplicated replies first sent ${JSON.stringify(dupLeadMs)} ms before the kill, ` +
      `second worker ready at ${restartedMs} ms, all delivered and quiet at ${doneMs} ms`,
  );
  expect(duplicates).toBeLessThanOrEqual(PARTITIONS * DEFAULT_USERS_IN_FLIGHT);
  expect(second.proc.exitCode).toBeNull();
});
