import { loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/errors';

/** The problems loadConfig reports for `env`; fails the test if it reports none. */
export function configProblems(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
