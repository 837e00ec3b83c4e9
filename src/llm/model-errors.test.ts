import { describe, expect, it } from 'vitest';
import { retryAfterMs, scrubSecrets } from './model-errors.ts';

describe('retryAfterMs', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads Retry-After in seconds, fractional seconds and as an HTTP date', () => {
    expect(retryAfterMs({ 'retry-after': '7' }, now)).toBe(7000);
    expect(retryAfterMs({ 'Retry-After': '1.5' }, now)).toBe(1500);
    expect(retryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }, now)).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }, now)).toBe(0);
  });

  it('prefers retry-after-ms and ignores garbage', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, now)).toBe(250);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs({}, now)).toBeUndefined();
  });
});

describe('scrubSecrets', () => {
  it('removes configured secrets and key-shaped tokens', () => {
    expect(scrubSecrets('key my-private-token leaked', ['my-private-token'])).toBe('key [redacted] leaked');
    expect(scrubSecrets('Incorrect API key provided: sk-proj-****abcd1234.', [])).not.toMatch(/abcd1234/);
    expect(scrubSecrets('sk-ant-api03-XYZxyz123456 bad', [])).toBe('[redacted] bad');
  });
});
