/**
 * A one-Page deployment (no PAGES_FILE) after #18's several-Pages /metrics and /readyz: its
 * /metrics keeps exactly its labels (no page label anywhere, the webhook's received counter by
 * {kind, channel}) and its /readyz body is { status, checks } as ever.
 */
import { textMessageBody } from '../../src/cli/sendEvent';
import { loadConfig } from '../../src/config/config';
import { loadPagesConfig } from '../../src/config/pagesConfig';
import { startPagesService, type PagesService } from '../../src/pagesService';
import { parsePromText } from '../support/promText';
import { deletePrefix } from '../support/redisKeys';
import { TEST_PAGE, testEnv } from '../support/testEnv';
import { get, postSigned, waitFor } from '../support/webhookClient';

let service: PagesService;
let prefix: string;

beforeAll(async () => {
  const env = testEnv({ FLOWS_DIR: 'flows', USER_PROFILE_LOOKUP: 'false' });
  const config = loadConfig(env);
  prefix = config.REDIS_KEY_PREFIX;
  service = await startPagesService(config, loadPagesConfig(config, env));
});
afterAll(async () => {
  try {
    await service?.stop();
  } finally {
    await deletePrefix(prefix);
  }
});

it('keeps its /metrics labels and its /readyz body', async () => {
  const body = textMessageBody(TEST_PAGE, 'psid-one', 'hi', Date.now(), 'm_one_page');
  expect((await postSigned(service.main.port, body)).status).toBe(200);
  const samples = await waitFor('the event applied', async () => {
    const s = parsePromText((await get(service.main.port, '/metrics')).body);
    return s.some((x) => x.name === 'talkshop_events_applied_total' && x.value > 0) ? s : undefined;
  });
  expect(samples.filter((s) => 'page' in s.labels)).toEqual([]);
  expect(samples.filter((s) => s.name === 'talkshop_webhook_events_received_total').map((s) => s.labels)).toEqual([
    { kind: 'message', channel: 'messaging' },
  ]);
  expect(samples.filter((s) => s.name === 'talkshop_nodejs_heap_size_total_bytes')).toHaveLength(1);
  const ready = await waitFor('ready', async () => {
    const r = await get(service.main.port, '/readyz');
    return r.status === 200 ? (JSON.parse(r.body) as Record<string, unknown>) : undefined;
  });
  expect(Object.keys(ready).sort()).toEqual(['checks', 'status']);
  expect(ready).toMatchObject({ status: 'ready', checks: { store: 'ok' } });
});
