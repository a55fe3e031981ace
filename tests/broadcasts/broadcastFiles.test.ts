import Ajv from 'ajv';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { broadcastJsonSchema } from '../../src/broadcasts/broadcastJsonSchema';
import { BROADCAST_SCHEMA_FILE, loadBroadcasts } from '../../src/broadcasts/loadBroadcasts';
import { loadFlows } from '../../src/flows/loadFlows';

const root = join(__dirname, '..', '..');
const SAMPLES = join(root, 'broadcasts');
const FLOWS = join(root, 'flows');
const CLI = join(root, 'dist', 'src', 'cli', 'main.js');

describe('the sample broadcasts and the published JSON Schema', () => {
  it('the samples pass without a warning: two promotional (the demo news and a local-hour sale), one tagged POST_PURCHASE_UPDATE', () => {
    const flows = loadFlows(FLOWS);
    if (!flows.ok) throw new Error('the shop flows must load');
    const result = loadBroadcasts(SAMPLES, { flows: flows.flowSet });
    expect(result.ok ? result.warnings : result.problems).toEqual([]);
    if (!result.ok) return;
    const kinds = result.broadcasts.map(({ broadcast: b }) => (b.kind === 'tagged' ? `tagged ${b.tag}` : b.kind));
    expect(kinds.sort()).toEqual(['promotional', 'promotional', 'tagged POST_PURCHASE_UPDATE']);
  });

  it('is in sync with the zod schema (regenerate: npm run broadcasts:schema)', () => {
    expect(JSON.parse(readFileSync(join(root, BROADCAST_SCHEMA_FILE), 'utf8'))).toEqual(broadcastJsonSchema());
  });

  it('accepts the samples and rejects what an editor should flag', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(broadcastJsonSchema());
    for (const name of readdirSync(SAMPLES)) {
      const sample = parse(readFileSync(join(SAMPLES, name), 'utf8')) as Record<string, unknown>;
      expect(validate(sample)).toBe(true);
      expect(validate({ ...sample, knd: 'promotional' })).toBe(false);
      expect(validate({ ...sample, audience: { wher: ['tag=x'] } })).toBe(false);
    }
    const tagged = parse(readFileSync(join(SAMPLES, 'order-delay.yaml'), 'utf8')) as Record<string, unknown>;
    expect(validate({ ...tagged, tag: 'HUMAN_AGENT' })).toBe(false);
  });
});

interface Ran {
  readonly code: number;
  readonly stdout: string;
}
/** The built CLI in an empty directory (no .env), with exactly these settings. */
function cli(args: readonly string[], settings: Record<string, string> = {}): Promise<Ran> {
  const cwd = mkdtempSync(join(tmpdir(), 'talkshop-broadcast-'));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...settings } }, (err, stdout) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }),
    );
  });
}

describe('talkshop broadcast check', () => {
  it('exits 0 on the samples, 1 on an error, printing file:line and the fix', async () => {
    const good = await cli(['broadcast', 'check', SAMPLES, '--flows', FLOWS]);
    expect(good).toEqual({ code: 0, stdout: `${SAMPLES}: 3 broadcast(s) ok, 0 warning(s)\n` });

    const dir = mkdtempSync(join(tmpdir(), 'talkshop-broadcasts-'));
    const lines = [
      'id: mm',
      'name: MM',
      'kind: marketing_message',
      'topic: offers',
      'audience: { where: [mmtoken=yes] }',
      'messages: [{ text: hi }]',
    ];
    writeFileSync(join(dir, 'mm.yaml'), `${lines.join('\n')}\n`);
    const refused = await cli(['broadcast', 'check', dir, '--flows', FLOWS]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^error: .*mm\.yaml:3: .*MARKETING_AD_ACCOUNT_ID is not set/m);
    expect(refused.stdout).toMatch(/^ {2}fix: set MARKETING_AD_ACCOUNT_ID=act_<digits>/m);
    expect(refused.stdout).toMatch(/: 1 error\(s\), 0 warning\(s\)\n$/);

    expect((await cli(['broadcast', 'check', dir, '--flows', FLOWS], { MARKETING_AD_ACCOUNT_ID: '1234567' })).code).toBe(0);
    const badAccount = await cli(['broadcast', 'check', dir, '--flows', FLOWS], { MARKETING_AD_ACCOUNT_ID: 'acct-1' });
    expect(badAccount.code).toBe(1);
    expect(badAccount.stdout).toMatch(/^error: MARKETING_AD_ACCOUNT_ID: expected act_<digits>/m);

    // start: needs the flows: flows that do not load are an error, not a silent pass.
    const noFlows = await cli(['broadcast', 'check', SAMPLES, '--flows', join(dir, 'missing')]);
    expect(noFlows.code).toBe(1);
    expect(noFlows.stdout).toMatch(/the flows do not load/);
    expect((await cli(['broadcast', 'check', join(dir, 'missing'), '--flows', FLOWS])).code).toBe(1);
  });
});

describe('loadBroadcasts', () => {
  it('refuses two files with the same id, naming the first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'talkshop-broadcasts-'));
    const text = (name: string) =>
      [
        'id: same',
        `name: ${name}`,
        'kind: tagged',
        'tag: ACCOUNT_UPDATE',
        'audience: { where: [tag=a] }',
        'messages: [{ text: hi }]',
      ].join('\n');
    writeFileSync(join(dir, 'a.yaml'), text('A'));
    writeFileSync(join(dir, 'b.yaml'), text('B'));
    const result = loadBroadcasts(dir);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/b\.yaml$/),
        line: 1,
        message: expect.stringMatching(/id "same" is already used by .*a\.yaml/),
      }),
    ]);
  });
});
