import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs to stderr (stdout belongs to command output). Keys that commonly hold secrets
 * are redacted wherever they appear, so an API key passed around in an options object never reaches
 * a log line.
 */
export const REDACTED_KEYS = [
  'apiKey',
  'api_key',
  'authorization',
  'password',
  'token',
  'secret',
  'openaiApiKey',
  'anthropicApiKey',
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'ideamine',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]), censor: '[redacted]' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that drops everything (tests, library use without logging). */
export const silentLogger: Logger = pino({ level: 'silent' });
