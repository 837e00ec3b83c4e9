import { describe, expect, test } from 'vitest';
import { hashToken, parseScopes, redactTokens, TOKEN_PATTERN } from './tokens.ts';

describe('API token helpers', () => {
  test('scopes parse from a comma list, deduplicated; unknown or empty ones are usage errors', () => {
    expect(parseScopes('runs:read, runs:write,runs:read')).toEqual(['runs:read', 'runs:write']);
    expect(() => parseScopes('runs:read,root')).toThrow('unknown scope "root": the scopes are runs:read');
    expect(() => parseScopes(' , ')).toThrow('--scope needs at least one of');
  });

  test('the stored hash is the sha256 of the secret, never the secret', () => {
    const secret = `im_${'a'.repeat(43)}`;
    expect(hashToken(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(secret)).not.toContain(secret);
    expect(hashToken(secret)).toBe(hashToken(secret));
  });

  test('secrets are found and redacted anywhere in a string', () => {
    const secret = `im_${'Z9_-'.repeat(10)}abc`;
    expect(secret).toMatch(TOKEN_PATTERN);
    expect(redactTokens(`Bearer ${secret} failed`)).toBe('Bearer im_[redacted] failed');
    expect(redactTokens('im_short stays')).toBe('im_short stays');
  });
});
