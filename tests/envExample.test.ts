import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_KEYS } from '../src/config/config';

describe('.env.example and README', () => {
  const root = join(__dirname, '..');
  it('documents every configuration variable', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const key of CONFIG_KEYS) {
      expect(example).toMatch(new RegExp(`^${key}=`, 'm'));
      expect(readme).toContain(`\`${key}\``);
    }
  });
});
