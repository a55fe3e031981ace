import { loadConfig } from '../../src/config/config';
import { configProblems as problems } from '../support/configProblems';
import { REQUIRED_ENV as required } from '../support/requiredEnv';

const URL = 'https://llm.example.com/v1/chat/completions';

describe('QUESTIONS_LLM_*', () => {
  it('off by default; a 2.5 s time limit', () => {
    const c = loadConfig(required);
    expect(c.QUESTIONS_LLM_URL).toBeUndefined();
    expect(c.QUESTIONS_LLM_TIMEOUT_MS).toBe(2500);
  });

  it('reads the URL, the model and the key together', () => {
    const c = loadConfig({ ...required, QUESTIONS_LLM_URL: URL, QUESTIONS_LLM_MODEL: 'gpt-4o-mini', QUESTIONS_LLM_KEY: 'sk-1' });
    expect(c).toMatchObject({ QUESTIONS_LLM_URL: URL, QUESTIONS_LLM_MODEL: 'gpt-4o-mini', QUESTIONS_LLM_KEY: 'sk-1' });
  });

  it('refuses a URL without a model, a model or a key without a URL, and a time limit out of range', () => {
    expect(problems({ ...required, QUESTIONS_LLM_URL: URL })[0]).toMatch(/^QUESTIONS_LLM_MODEL: set QUESTIONS_LLM_URL and/);
    expect(problems({ ...required, QUESTIONS_LLM_MODEL: 'm' })[0]).toMatch(/^QUESTIONS_LLM_URL: set QUESTIONS_LLM_URL and/);
    expect(problems({ ...required, QUESTIONS_LLM_KEY: 'sk-1' })[0]).toMatch(/^QUESTIONS_LLM_KEY: set only with/);
    expect(problems({ ...required, QUESTIONS_LLM_TIMEOUT_MS: '60000' })[0]).toMatch(/^QUESTIONS_LLM_TIMEOUT_MS:/);
    expect(problems({ ...required, QUESTIONS_LLM_URL: 'llm.example.com', QUESTIONS_LLM_MODEL: 'm' })[0]).toMatch(
      /^QUESTIONS_LLM_URL: expected the http\(s\) URL/,
    );
  });

  it('caps the reply with max_tokens by default, max_completion_tokens when told; nothing else', () => {
    expect(loadConfig(required).QUESTIONS_LLM_TOKEN_FIELD).toBe('max_tokens');
    const field = 'max_completion_tokens';
    expect(loadConfig({ ...required, QUESTIONS_LLM_TOKEN_FIELD: field }).QUESTIONS_LLM_TOKEN_FIELD).toBe(field);
    expect(problems({ ...required, QUESTIONS_LLM_TOKEN_FIELD: 'max_output_tokens' })[0]).toMatch(
      /^QUESTIONS_LLM_TOKEN_FIELD: expected max_tokens or max_completion_tokens/,
    );
  });

  it('never echoes the key', () => {
    const p = problems({ ...required, QUESTIONS_LLM_KEY: 'sk secret with spaces' });
    expect(p.join('\n')).not.toContain('secret with');
    expect(p.find((l) => l.startsWith('QUESTIONS_LLM_KEY'))).toMatch(/got hidden/);
  });
});
