import { isAbsolute, resolve } from 'node:path';
import { parseDurationMs } from '../core/duration.ts';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';

/**
 * Runtime options, resolved once: defaults < environment < flags. This module is the only reader of
 * `process.env` in IdeaMine; everything else receives a `ResolvedOptions`. Units are in the names
 * (`leaseMs`), and durations may be written `30s`, `5m` or as milliseconds.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ProviderKeys {
  openaiApiKey?: string;
  anthropicApiKey?: string;
}

/** Command-line flags, already named in camelCase by the CLI. Keys are never flags (they leak to `ps`). */
export interface OptionFlags {
  home?: string;
  databaseUrl?: string;
  pgSchema?: string;
  redisUrl?: string;
  model?: string;
  modelBaseUrl?: string;
  fallbackModels?: string;
  recordFile?: string;
  replayFile?: string;
  configDir?: string;
  logLevel?: string;
  concurrency?: number | string;
  heartbeatMs?: number | string;
  leaseMs?: number | string;
}

export interface ResolvedOptions {
  /** Data directory (PGlite data, lock file, unix socket). */
  readonly home: string;
  readonly databaseUrl: string | undefined;
  readonly pgSchema: string | undefined;
  readonly redisUrl: string | undefined;
  /** `offline` or `<provider>:<model>`. */
  readonly model: string;
  readonly modelBaseUrl: string | undefined;
  /** Record every model call of the process to this JSON-lines file (IDEAMINE_RECORD). */
  readonly recordFile: string | undefined;
  /** Answer every model call from this recording; never the network (IDEAMINE_REPLAY). */
  readonly replayFile: string | undefined;
  /** The model fallback ladder the unsticker climbs, best first (IDEAMINE_FALLBACK_MODELS, comma-separated). */
  readonly fallbackModels: readonly string[];
  /** User phase overrides (see loadPhaseConfigs' `userDir`). */
  readonly configDir: string | undefined;
  readonly logLevel: LogLevel;
  /** Tasks a worker process runs at once. */
  readonly concurrency: number;
  readonly heartbeatMs: number;
  readonly leaseMs: number;
  /**
   * OTLP/HTTP base URL for traces (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<url>/v1/traces`.
   * Unset: tracing is off.
   */
  readonly otlpEndpoint: string | undefined;
  /** Never serialised: `toJSON` and `util.inspect` show only whether each key is set. */
  readonly providerKeys: Readonly<ProviderKeys>;
  /**
   * IDEAMINE_LEDGER_KEY: the ledger's Ed25519 private key as PEM, or the path of its 0600 file
   * (default `<home>/ledger-key.pem`). A PEM value is never serialised.
   */
  readonly ledgerKey: string | undefined;
  toJSON(): Record<string, unknown>;
}

export interface ResolveOptionsInput {
  env?: Readonly<Record<string, string | undefined>>;
  flags?: OptionFlags;
  /** Base for relative paths and the default home; defaults to the process's working directory. */
  cwd?: string;
}

/** Environment variables read by `resolveOptions`, for `ideamine doctor` and the README. */
export const ENV_VARS = {
  home: 'IDEAMINE_HOME',
  databaseUrl: 'DATABASE_URL',
  pgSchema: 'IDEAMINE_PG_SCHEMA',
  redisUrl: 'REDIS_URL',
  model: 'IDEAMINE_MODEL',
  modelBaseUrl: 'IDEAMINE_MODEL_BASE_URL',
  fallbackModels: 'IDEAMINE_FALLBACK_MODELS',
  recordFile: 'IDEAMINE_RECORD',
  replayFile: 'IDEAMINE_REPLAY',
  configDir: 'IDEAMINE_CONFIG_DIR',
  logLevel: 'IDEAMINE_LOG_LEVEL',
  concurrency: 'IDEAMINE_CONCURRENCY',
  heartbeatMs: 'IDEAMINE_HEARTBEAT',
  leaseMs: 'IDEAMINE_LEASE',
  otlpEndpoint: 'OTEL_EXPORTER_OTLP_ENDPOINT',
  openaiApiKey: 'OPENAI_API_KEY',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  ledgerKey: 'IDEAMINE_LEDGER_KEY',
} as const;

/**
 * A lease must outlive several heartbeats or a single slow heartbeat loses the task: 30 s leases
 * renewed every 5 s tolerate five missed beats before another worker may take the task over.
 */
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;
export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MODEL = 'offline';

type Source = { name: string; value: string | number };
type Key = keyof OptionFlags;

export function resolveOptions(input: ResolveOptionsInput = {}): ResolvedOptions {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const cwd = input.cwd ?? process.cwd();

  /** The flag if given, else the environment variable; empty strings count as unset. */
  const pick = (key: Key): Source | undefined => {
    const flag = flags[key];
    if (flag !== undefined && flag !== '') return { name: `flag ${key}`, value: flag };
    const name = ENV_VARS[key];
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : { name, value: value.trim() };
  };
  const text = (key: Key, check?: (value: string) => string | undefined): string | undefined => {
    const source = pick(key);
    if (!source) return undefined;
    const value = String(source.value);
    const problem = check?.(value);
    if (problem) throw invalidOption(source, problem);
    return value;
  };

  const home = resolve(cwd, text('home') ?? '.ideamine');
  const configDir = text('configDir');
  const leaseMs = duration(pick('leaseMs'), DEFAULT_LEASE_MS);
  const heartbeatMs = duration(pick('heartbeatMs'), DEFAULT_HEARTBEAT_MS);
  if (heartbeatMs >= leaseMs) {
    // At least one of the two was set (the defaults are consistent): blame the heartbeat if given.
    const source = pick('heartbeatMs') ??
      pick('leaseMs') ?? { name: ENV_VARS.heartbeatMs, value: heartbeatMs };
    throw invalidOption(
      source,
      `heartbeat (${heartbeatMs} ms) must be shorter than the lease (${leaseMs} ms)`,
    );
  }

  const options = {
    home,
    databaseUrl: text('databaseUrl', urlCheck(['postgres:', 'postgresql:'])),
    pgSchema: text('pgSchema', (v) =>
      /^[a-z_][a-z0-9_]{0,62}$/.test(v) ? undefined : 'expected a lowercase SQL identifier (a-z, 0-9, _)',
    ),
    redisUrl: text('redisUrl', urlCheck(['redis:', 'rediss:'])),
    model:
      text('model', (v) =>
        v === 'offline' || /^[a-z][a-z0-9-]*:\S+$/.test(v)
          ? undefined
          : 'expected "offline" or "<provider>:<model>"',
      ) ?? DEFAULT_MODEL,
    modelBaseUrl: text('modelBaseUrl', urlCheck(['http:', 'https:'])),
    fallbackModels: Object.freeze(
      (
        text('fallbackModels', (v) =>
          v.split(',').every((m) => m.trim() === 'offline' || /^[a-z][a-z0-9-]*:\S+$/.test(m.trim()))
            ? undefined
            : 'expected a comma-separated list of "offline" or "<provider>:<model>"',
        ) ?? ''
      )
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    ),
    recordFile: text('recordFile') === undefined ? undefined : resolve(cwd, text('recordFile') as string),
    replayFile: text('replayFile') === undefined ? undefined : resolve(cwd, text('replayFile') as string),
    configDir:
      configDir === undefined ? undefined : isAbsolute(configDir) ? configDir : resolve(cwd, configDir),
    logLevel: (text('logLevel', (v) =>
      (LOG_LEVELS as readonly string[]).includes(v) ? undefined : `expected one of ${LOG_LEVELS.join(', ')}`,
    ) ?? 'info') as LogLevel,
    concurrency: positiveInt(pick('concurrency'), DEFAULT_CONCURRENCY),
    heartbeatMs,
    leaseMs,
    otlpEndpoint: otlpEndpoint(env),
    providerKeys: Object.freeze(providerKeys(env)),
    ledgerKey: ledgerKeyOption(env),
  };
  return withRedaction(options);
}

function providerKeys(env: Readonly<Record<string, string | undefined>>): ProviderKeys {
  const keys: ProviderKeys = {};
  const openai = env[ENV_VARS.openaiApiKey]?.trim();
  const anthropic = env[ENV_VARS.anthropicApiKey]?.trim();
  if (openai) keys.openaiApiKey = openai;
  if (anthropic) keys.anthropicApiKey = anthropic;
  return keys;
}

function ledgerKeyOption(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env[ENV_VARS.ledgerKey]?.trim();
  return value ? value : undefined;
}

function otlpEndpoint(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env[ENV_VARS.otlpEndpoint]?.trim();
  if (!value) return undefined;
  const problem = urlCheck(['http:', 'https:'])(value);
  if (problem) throw invalidOption({ name: ENV_VARS.otlpEndpoint, value }, problem);
  return value;
}

function withRedaction(options: Omit<ResolvedOptions, 'toJSON'>): ResolvedOptions {
  const toJSON = (): Record<string, unknown> => ({
    ...options,
    databaseUrl: options.databaseUrl === undefined ? undefined : redactUrl(options.databaseUrl),
    redisUrl: options.redisUrl === undefined ? undefined : redactUrl(options.redisUrl),
    otlpEndpoint: options.otlpEndpoint === undefined ? undefined : redactUrl(options.otlpEndpoint),
    providerKeys: Object.fromEntries(Object.keys(options.providerKeys).map((key) => [key, '[redacted]'])),
    ledgerKey: options.ledgerKey?.startsWith('-----BEGIN') ? '[redacted]' : options.ledgerKey,
  });
  const resolved = { ...options } as ResolvedOptions;
  // Non-enumerable, so spreading the options copies data, not these hooks.
  Object.defineProperty(resolved, 'toJSON', { value: toJSON });
  Object.defineProperty(resolved, Symbol.for('nodejs.util.inspect.custom'), { value: toJSON });
  return Object.freeze(resolved);
}

/** Connection URLs may carry a password; logs, errors and `doctor` output must not. */
function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (!parsed.password) return value;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return value.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
  }
}

function urlCheck(protocols: readonly string[]): (value: string) => string | undefined {
  return (value) => {
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      return 'expected a URL';
    }
    return protocols.includes(protocol) ? undefined : `expected a ${protocols.join(' or ')} URL`;
  };
}

function duration(source: Source | undefined, fallback: number): number {
  if (!source) return fallback;
  let ms: number;
  try {
    ms = parseDurationMs(source.value);
  } catch {
    throw invalidOption(source, 'expected a duration such as 500ms, 30s or 5m');
  }
  if (ms <= 0) throw invalidOption(source, 'expected a duration above zero');
  return ms;
}

function positiveInt(source: Source | undefined, fallback: number): number {
  if (!source) return fallback;
  const value = typeof source.value === 'number' ? source.value : Number(source.value);
  const ok =
    Number.isInteger(value) && value >= 1 && (typeof source.value === 'number' || /^\d+$/.test(source.value));
  if (!ok) throw invalidOption(source, 'expected a positive integer');
  return value;
}

function invalidOption(source: Source, reason: string): IdeaMineError {
  // Values are echoed so the fix is obvious, minus any password in a connection URL. Provider keys
  // are never validated, so they never reach this message.
  const got =
    typeof source.value === 'string' ? JSON.stringify(redactUrl(source.value)) : String(source.value);
  return new IdeaMineError(ErrorCode.invalidConfig, `${source.name}: ${reason}, got ${got}`, {
    errorClass: ErrorClass.fatal,
    details: { option: source.name },
  });
}
