import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { resolveOptions } from './options.ts';

const cwd = '/srv/app';

function failure(fn: () => unknown): IdeaMineError {
  try {
    fn();
  } catch (error) {
    if (error instanceof IdeaMineError) return error;
    throw error;
  }
  throw new Error('expected resolveOptions to fail');
}

describe('resolveOptions', () => {
  it('has embedded, offline defaults', () => {
    const options = resolveOptions({ env: {}, cwd });
    expect(options).toMatchObject({
      home: join(cwd, '.ideamine'),
      databaseUrl: undefined,
      redisUrl: undefined,
      model: 'offline',
      logLevel: 'info',
      concurrency: 4,
      heartbeatMs: 5_000,
      leaseMs: 30_000,
      configDir: undefined,
    });
    expect(options.providerKeys).toEqual({});
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      IDEAMINE_HOME: 'data',
      DATABASE_URL: 'postgres://ideamine:s3cret@db:5432/ideamine',
      IDEAMINE_PG_SCHEMA: 'ideamine_test',
      REDIS_URL: 'redis://cache:6379',
      IDEAMINE_MODEL: 'openai:gpt-4.1-mini',
      IDEAMINE_MODEL_BASE_URL: 'http://localhost:11434/v1',
      IDEAMINE_CONFIG_DIR: 'my-phases',
      IDEAMINE_LOG_LEVEL: 'debug',
      IDEAMINE_CONCURRENCY: '8',
      IDEAMINE_LEASE: '1m',
      IDEAMINE_HEARTBEAT: '10s',
    };
    const fromEnv = resolveOptions({ env, cwd });
    expect(fromEnv).toMatchObject({
      home: join(cwd, 'data'),
      databaseUrl: env.DATABASE_URL,
      pgSchema: 'ideamine_test',
      redisUrl: env.REDIS_URL,
      model: 'openai:gpt-4.1-mini',
      modelBaseUrl: env.IDEAMINE_MODEL_BASE_URL,
      configDir: join(cwd, 'my-phases'),
      logLevel: 'debug',
      concurrency: 8,
      leaseMs: 60_000,
      heartbeatMs: 10_000,
    });
    const withFlags = resolveOptions({
      env,
      cwd,
      flags: { concurrency: 2, model: 'offline', leaseMs: '45s', home: '/var/im' },
    });
    expect(withFlags).toMatchObject({
      concurrency: 2,
      model: 'offline',
      leaseMs: 45_000,
      home: '/var/im',
      logLevel: 'debug',
    });
  });

  it('turns tracing on only when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
    expect(resolveOptions({ env: {}, cwd }).otlpEndpoint).toBeUndefined();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(resolveOptions({ env, cwd }).otlpEndpoint).toBe('http://127.0.0.1:4318');
  });

  it('treats empty variables as unset', () => {
    expect(resolveOptions({ env: { IDEAMINE_CONCURRENCY: '', DATABASE_URL: ' ' }, cwd })).toMatchObject({
      concurrency: 4,
      databaseUrl: undefined,
    });
  });

  it('rejects invalid values naming the variable or flag', () => {
    const cases: [Record<string, string>, string][] = [
      [{ IDEAMINE_CONCURRENCY: 'many' }, 'IDEAMINE_CONCURRENCY: expected a positive integer, got "many"'],
      [{ IDEAMINE_CONCURRENCY: '0' }, 'IDEAMINE_CONCURRENCY'],
      [{ IDEAMINE_LEASE: 'forever' }, 'IDEAMINE_LEASE: expected a duration'],
      [
        { IDEAMINE_HEARTBEAT: '1m' },
        'IDEAMINE_HEARTBEAT: heartbeat (60000 ms) must be shorter than the lease',
      ],
      [{ IDEAMINE_LOG_LEVEL: 'loud' }, 'IDEAMINE_LOG_LEVEL: expected one of fatal, error'],
      [{ IDEAMINE_MODEL: 'gpt4' }, 'IDEAMINE_MODEL: expected "offline" or "<provider>:<model>"'],
      [{ IDEAMINE_PG_SCHEMA: 'drop table;' }, 'IDEAMINE_PG_SCHEMA'],
      [{ REDIS_URL: 'http://cache' }, 'REDIS_URL: expected a redis: or rediss: URL'],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
        'OTEL_EXPORTER_OTLP_ENDPOINT: expected a http: or https: URL',
      ],
    ];
    for (const [env, message] of cases) {
      const error = failure(() => resolveOptions({ env, cwd }));
      expect(error.code).toBe(ErrorCode.invalidConfig);
      expect(error.message).toContain(message);
    }
    expect(failure(() => resolveOptions({ env: {}, cwd, flags: { concurrency: 1.5 } })).message).toContain(
      'flag concurrency: expected a positive integer, got 1.5',
    );
  });

  it('never echoes a database password in an error', () => {
    const error = failure(() => resolveOptions({ env: { DATABASE_URL: 'mysql://root:hunter2@db/x' }, cwd }));
    expect(error.message).toContain('DATABASE_URL: expected a postgres: or postgresql: URL');
    expect(error.message).not.toContain('hunter2');
  });

  it('keeps provider keys out of JSON and inspect output', () => {
    const options = resolveOptions({
      env: { OPENAI_API_KEY: 'sk-live-123', DATABASE_URL: 'postgres://u:hunter2@db/x' },
      cwd,
    });
    expect(options.providerKeys.openaiApiKey).toBe('sk-live-123');
    const json = JSON.stringify(options);
    expect(json).not.toContain('sk-live-123');
    expect(json).not.toContain('hunter2');
    expect(JSON.parse(json)).toMatchObject({ providerKeys: { openaiApiKey: '[redacted]' }, concurrency: 4 });
    expect(inspect(options)).not.toContain('sk-live-123');
    expect(Object.isFrozen(options)).toBe(true);
  });

  it('keeps an inline ledger key out of JSON and inspect output; a key file path shows', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIsecretsecret\n-----END PRIVATE KEY-----';
    const inline = resolveOptions({ env: { IDEAMINE_LEDGER_KEY: pem }, cwd });
    expect(inline.ledgerKey).toBe(pem);
    expect(JSON.parse(JSON.stringify(inline))).toMatchObject({ ledgerKey: '[redacted]' });
    expect(inspect(inline)).not.toContain('secretsecret');
    const path = resolveOptions({ env: { IDEAMINE_LEDGER_KEY: '/keys/ledger.pem' }, cwd });
    expect(JSON.parse(JSON.stringify(path))).toMatchObject({ ledgerKey: '/keys/ledger.pem' });
  });
});
