import { join } from 'node:path';
import { startFakeGraphApi, type FakeGraphApi } from '../../src/emulator/fakeGraphApi';
import { loadFlows } from '../../src/flows/loadFlows';
import { createGraphClient, type ClosableGraphClient } from '../../src/messenger/graphClient';
import type { MessengerProfile } from '../../src/platform/graphRequestSchemas';
import {
  MESSENGER_PROFILE_FILE,
  parseProfileFile,
  payloadTarget,
  profilePayloads,
  readProfileFile,
  unresolvedPayloads,
  type ProfileFileProblem,
} from '../../src/flows/profileFile';
import { diffProfile, formatDiff, ProfileSyncError, syncMessengerProfile } from '../../src/messenger/profileSync';

const SECRET = 'profile-test-app-secret';
const TOKEN = 'EAAprofile-test-page-token-0123456789';
const PAGE = 'page-profile-1';
const FLOWS_DIR = join(__dirname, '..', '..', 'flows');

let fake: FakeGraphApi;
let client: ClosableGraphClient;

beforeAll(async () => {
  fake = await startFakeGraphApi({
    appSecret: SECRET,
    accessToken: TOKEN,
    pageId: PAGE,
    profileCallLimit: { calls: 10, windowMs: 600_000 },
  });
  client = createGraphClient({
    baseUrl: fake.url,
    version: 'v26.0',
    pageId: PAGE,
    accessToken: TOKEN,
    appSecret: SECRET,
    timeoutMs: 2_000,
  });
});
afterAll(async () => {
  client.close();
  await fake.stop();
});
beforeEach(() => fake.reset());

const profileCalls = () => fake.calls.filter((c) => c.endpoint === 'messenger_profile');
const methods = () => profileCalls().map((c) => c.method);

const PROFILE: MessengerProfile = {
  get_started: { payload: 'GET_STARTED' },
  greeting: [
    { locale: 'default', text: 'Hi {{user_first_name}}!' },
    { locale: 'fr_FR', text: 'Bonjour {{user_first_name}} !' },
  ],
  ice_breakers: [{ locale: 'default', call_to_actions: [{ question: 'Where is my order?', payload: 'TS|shop|menu|s0q1' }] }],
  persistent_menu: [
    {
      locale: 'default',
      call_to_actions: [
        { type: 'postback', title: 'Shop shoes', payload: 'TS|shop|menu|s0q0' },
        { type: 'web_url', title: 'Shop', url: 'https://shop.example.com' },
      ],
    },
  ],
  whitelisted_domains: ['https://shop.example.com'],
};

describe('sync against the fake Graph API', () => {
  it('first run posts every field in one call; a second, unchanged run makes only the GET', async () => {
    const first = await syncMessengerProfile(client, PROFILE);
    expect(methods()).toEqual(['GET', 'POST']);
    expect(first.posted).toEqual(['get_started', 'greeting', 'ice_breakers', 'persistent_menu', 'whitelisted_domains']);
    expect(formatDiff(first.diff)).toEqual([
      '+ get_started',
      '+ greeting',
      '+ ice_breakers',
      '+ persistent_menu',
      '+ whitelisted_domains',
    ]);
    expect(fake.messengerProfile()).toEqual(PROFILE);

    fake.clearCalls();
    const second = await syncMessengerProfile(client, PROFILE);
    expect(methods()).toEqual(['GET']);
    expect(second).toMatchObject({ calls: 1, posted: [], deleted: [] });
    expect(second.diff.changes).toEqual([]);
  });

  it('a changed greeting posts only the greeting', async () => {
    await syncMessengerProfile(client, PROFILE);
    fake.clearCalls();
    const changed: MessengerProfile = {
      ...PROFILE,
      greeting: [{ locale: 'default', text: 'Welcome back, {{user_first_name}}!' }],
    };
    const result = await syncMessengerProfile(client, changed);
    expect(methods()).toEqual(['GET', 'POST']);
    expect(profileCalls()[1]?.body).toEqual({ greeting: changed.greeting });
    expect(formatDiff(result.diff)).toEqual(['~ greeting']);
    expect(fake.messengerProfile().greeting).toEqual(changed.greeting);
  });

  it('--dry-run sends nothing but the GET', async () => {
    const result = await syncMessengerProfile(client, PROFILE, { dryRun: true });
    expect(methods()).toEqual(['GET']);
    expect(result.diff.changes).toHaveLength(5);
    expect(fake.messengerProfile()).toEqual({});
  });

  it('removed fields are deleted only with --prune, in one DELETE after the POST', async () => {
    await syncMessengerProfile(client, PROFILE);
    const { whitelisted_domains: _dropped, ...without } = PROFILE;
    fake.clearCalls();
    const kept = await syncMessengerProfile(client, without);
    expect(methods()).toEqual(['GET']);
    expect(kept.diff.changes).toEqual([]);
    expect(fake.messengerProfile().whitelisted_domains).toBeDefined();

    fake.clearCalls();
    const pruned = await syncMessengerProfile(
      client,
      { ...without, greeting: [{ locale: 'default', text: 'Hello!' }] },
      { prune: true },
    );
    expect(methods()).toEqual(['GET', 'POST', 'DELETE']);
    expect(formatDiff(pruned.diff)).toEqual(['~ greeting', '- whitelisted_domains']);
    expect(profileCalls()[2]?.body).toEqual({ fields: ['whitelisted_domains'] });
    expect(fake.messengerProfile().whitelisted_domains).toBeUndefined();
  });

  it('a 613 from Meta is reported as the call limit, not retried', async () => {
    const limited = await startFakeGraphApi({
      appSecret: SECRET,
      accessToken: TOKEN,
      pageId: PAGE,
      profileCallLimit: { calls: 1, windowMs: 600_000 },
    });
    const c = createGraphClient({
      baseUrl: limited.url,
      version: 'v26.0',
      pageId: PAGE,
      accessToken: TOKEN,
      appSecret: SECRET,
      timeoutMs: 2_000,
    });
    try {
      const failure = await syncMessengerProfile(c, PROFILE).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ProfileSyncError);
      const e = failure as ProfileSyncError;
      expect(e.step).toBe('POST');
      expect(e.rateLimited).toBe(true);
      expect(e.message).toMatch(/10 calls per 10 minutes/);
      expect(e.message).toMatch(/613/);
      expect(limited.calls.map((x) => x.method)).toEqual(['GET', 'POST']);
    } finally {
      c.close();
      await limited.stop();
    }
  });
});

describe('diff', () => {
  it('ignores locale order, key order, trailing slashes and Graph defaults', () => {
    const current = {
      greeting: [...(PROFILE.greeting ?? [])].reverse().map((g) => ({ text: g.text, locale: g.locale })),
      persistent_menu: (PROFILE.persistent_menu ?? []).map((m) => ({ ...m, composer_input_disabled: false })),
      whitelisted_domains: ['https://shop.example.com/'],
    };
    const { get_started: _g, ice_breakers: _i, ...rest } = PROFILE;
    expect(diffProfile(rest, current).changes).toEqual([]);
  });
});

/** The YAML of a valid profile with one top-level field replaced (or added). */
const BASE: Record<string, string> = {
  get_started: '  payload: GET_STARTED',
  greeting: '  - locale: default\n    text: Hello',
  whitelisted_domains: '  - https://shop.example.com',
};
const fileWith = (field: string, yamlValue: string): string =>
  Object.entries({ ...BASE, [field]: yamlValue })
    .map(([k, v]) => `${k}:\n${v}`)
    .join('\n') + '\n';

const problemsOf = (text: string): readonly ProfileFileProblem[] => {
  const outcome = parseProfileFile(text, 'p.yaml');
  if (outcome.ok) throw new Error('expected the file to be refused');
  return outcome.problems;
};

describe('profile file validation', () => {
  it('accepts the helper file as a baseline', () => {
    expect(parseProfileFile(fileWith('greeting', '  - locale: default\n    text: Hi'), 'p.yaml').ok).toBe(true);
  });

  it.each([
    ['greeting over 160 chars', 'greeting', `  - locale: default\n    text: "${'x'.repeat(161)}"`, 'greeting[0].text', /160/],
    [
      '5 ice breakers',
      'ice_breakers',
      `  - locale: default\n    call_to_actions:\n${Array.from({ length: 5 }, (_, i) => `      - { question: "Q${i}?", payload: GET_STARTED }`).join('\n')}`,
      'ice_breakers[0].call_to_actions',
      /4/,
    ],
    [
      '21 menu items',
      'persistent_menu',
      `  - locale: default\n    call_to_actions:\n${Array.from({ length: 21 }, (_, i) => `      - { type: postback, title: "Item ${i}", payload: GET_STARTED }`).join('\n')}`,
      'persistent_menu[0].call_to_actions',
      /20/,
    ],
    ['an http:// domain', 'whitelisted_domains', '  - http://shop.example.com', 'whitelisted_domains[0]', /https/],
    ['no default greeting', 'greeting', '  - locale: fr_FR\n    text: Bonjour', 'greeting', /default/],
  ])('refuses %s, naming the field and its line', (_label, field, value, path, message) => {
    const text = fileWith(field, value);
    const problems = problemsOf(text);
    const problem = problems.find((p) => p.path === path);
    expect(problem).toBeDefined();
    expect(problem?.message).toMatch(message);
    const fieldLine = text.split('\n').findIndex((l) => l.startsWith(`${field}:`)) + 1;
    expect(problem?.line).toBeGreaterThanOrEqual(fieldLine);
  });

  it('refuses a persistent menu without get_started', () => {
    const text =
      'persistent_menu:\n  - locale: default\n    call_to_actions:\n      - { type: web_url, title: Shop, url: "https://shop.example.com" }\n';
    expect(problemsOf(text)).toEqual([expect.objectContaining({ path: 'persistent_menu', line: 1 })]);
  });

  it('refuses unknown fields and YAML syntax errors with a line', () => {
    expect(problemsOf('get_started:\n  payload: GET_STARTED\ngreting: []\n')[0]).toMatchObject({ line: expect.any(Number) });
    expect(problemsOf('get_started: [\n')[0]).toMatchObject({ path: '(file)', line: expect.any(Number) });
  });
});

describe('the shipped profile file', () => {
  const file = join(FLOWS_DIR, MESSENGER_PROFILE_FILE);

  it('validates, is not loaded as a flow, and every payload resolves in flows/', () => {
    const parsed = readProfileFile(file);
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    const { profile } = parsed;
    expect(profile.get_started?.payload).toBe('GET_STARTED');
    expect(profile.greeting?.map((g) => g.locale)).toEqual(['default', 'fr_FR']);
    expect(profile.ice_breakers?.[0]?.call_to_actions).toHaveLength(3);
    expect(profile.persistent_menu?.[0]?.call_to_actions.length).toBeGreaterThanOrEqual(3);
    expect(profile.persistent_menu?.[0]?.call_to_actions.some((c) => c.type === 'web_url')).toBe(true);
    expect(profile.whitelisted_domains).toEqual(['https://shop.example.com']);

    const flows = loadFlows(FLOWS_DIR);
    if (!flows.ok) throw new Error(`flows/ does not load: ${flows.problems.map((p) => p.message).join('; ')}`);
    expect([...flows.flowSet.flows.keys()].sort()).toEqual(['faq', 'shop']); // the profile file is not among them
    expect(profilePayloads(profile).length).toBeGreaterThanOrEqual(7);
    expect(unresolvedPayloads(profile, flows.flowSet)).toEqual([]);
  });

  it('a payload that leads nowhere is caught', () => {
    const flows = loadFlows(FLOWS_DIR);
    if (!flows.ok) throw new Error('flows/ does not load');
    expect(payloadTarget(flows.flowSet, 'NO_SUCH_PAYLOAD')).toBeUndefined();
    expect(payloadTarget(flows.flowSet, 'TS|shop|menu|s0q9')).toBeUndefined();
    expect(payloadTarget(flows.flowSet, 'TS|shop|sizes|a0')).toBeUndefined();
    expect(payloadTarget(flows.flowSet, 'GET_STARTED')).toBe('Get Started');
  });
});
