import { textMessageBody } from '../../src/cli/sendEvent';
import { type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { decodeUserState } from '../../src/engine/userState';
import { partitionOf, userKeyOf } from '../../src/store/partitionOf';
import { startService, type RunningService } from '../../src/server';
import { TEST_PAGE, testConfig } from '../support/testEnv';
import { partitionsUpTo, settled } from '../support/settled';
import { get, postSigned, waitFor } from '../support/webhookClient';
import { startTestGraphApi } from '../support/testGraphApi';

/** NOTIFY_ADMIN_PSIDS: staff hear about a handover in Messenger, under the same rules as any send. */
let fake: FakeGraphApi;
let service: RunningService;
let clock = Date.UTC(2026, 10, 23, 12);
let mids = 0;
const ALL = partitionsUpTo(16);

beforeAll(async () => {
  fake = await startTestGraphApi();
  const config = testConfig({
    REDIS_URL: undefined,
    GRAPH_API_URL: fake.url,
    NOTIFY_ADMIN_PSIDS: 'staff_on_shift,staff_away,staff_busy',
  });
  service = await startService(config, { now: () => clock });
});
afterAll(async () => {
  await service.stop();
  await fake.stop();
});

const say = (psid: string, text: string) =>
  postSigned(service.port, textMessageBody(TEST_PAGE, psid, text, clock, `m_staff_${++mids}`));
const texts = (psid: string) =>
  fake.sentMessages(psid).flatMap((c) => (c.body as { message?: { text?: string } }).message?.text ?? []);
const load = (psid: string) => service.store.states.load(partitionOf(TEST_PAGE, psid, 16), userKeyOf(TEST_PAGE, psid));
const threadOf = async (psid: string) => decodeUserState((await load(psid)).data).thread;
const metric = async (line: string) => ((await get(service.port, '/metrics')).body.includes(line) ? true : undefined);

it('a handover reaches staff who wrote to the Page today; not those outside their window or talking to a person', async () => {
  await say('staff_away', 'hi'); // wrote 2 days ago: outside the 24 h window now
  await waitFor('staff_away seen', async () => ((await load('staff_away')).version > 0 ? true : undefined));
  // Their welcome goes out before the clock moves (sent later, it would be refused as outside the window).
  await settled(service.store, ALL);
  clock += 48 * 3600_000;
  await say('staff_on_shift', 'hi');
  await say('staff_busy', 'talk to a person'); // their own thread is with a person
  await waitFor('staff_busy human', async () => ((await threadOf('staff_busy')) === 'human' ? true : undefined));
  // The staff members' own replies, and the notices about staff_busy's handover, are all out
  // before counting what each one has: afterwards only cust1's handover adds anything.
  await settled(service.store, ALL);
  const before = {
    onShift: texts('staff_on_shift').length,
    busy: texts('staff_busy').length,
    busyVersion: (await load('staff_busy')).version,
  };

  await say('cust1', 'my parcel never arrived');
  await say('cust1', 'talk to a person');
  await waitFor('the staff notice', () =>
    texts('staff_on_shift').some((t) => t.includes('Customer: cust1')) ? true : undefined,
  );
  await settled(service.store, ALL);
  const notice = texts('staff_on_shift').find((t) => t.includes('Customer: cust1')) as string;
  expect(notice).toContain('reason: keyword');
  expect(notice).toContain('Customer: my parcel never arrived');
  expect(texts('staff_on_shift')).toHaveLength(before.onShift + 1);
  const sent = fake.sentMessages('staff_on_shift').at(-1)?.body as { messaging_type?: string };
  expect(sent.messaging_type).toBe('UPDATE');

  // staff_away: both notices (staff_busy's and cust1's) refused by the send policy. staff_busy gets
  // only cust1's (not their own), and the engine stays silent on it: their thread is with a person.
  expect(await metric('talkshop_deliveries_total{type="send",outcome="refused_outside_window_no_tag"} 2\n')).toBe(true);
  expect((await load('staff_busy')).version).toBe(before.busyVersion + 1);
  expect(fake.sentMessages('staff_away').filter((c) => JSON.stringify(c.body).includes('cust1'))).toEqual([]);
  expect(texts('staff_busy')).toHaveLength(before.busy);
});
