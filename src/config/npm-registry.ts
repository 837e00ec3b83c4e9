import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * The user's npm registry settings, for tools that talk to the registry (the dependency audit). A
 * tool runs with a scrubbed environment and a private HOME, so it would otherwise see neither a
 * mirror nor the CA a TLS-inspecting proxy needs. Only two keys are ever taken, and never
 * credentials:
 * - `registry`: an http(s) URL; any user:password in it is dropped;
 * - `cafile`: an absolute path to a CA bundle (e.g. a mirror's CA in the system store).
 * `_authToken`, `_auth`, passwords, scoped registries and proxies are never read.
 *
 * Precedence, as npm's own: the environment (`npm_config_registry`, `npm_config_cafile`, any case),
 * then the user config (`npm_config_userconfig` or `~/.npmrc`), then the global config
 * (`npm_config_globalconfig`, else `/usr/etc/npmrc`, `/usr/local/etc/npmrc`, `/etc/npmrc`: the
 * global file of an npm installed under `/usr` or `/usr/local`). Values that use `${VAR}` expansion
 * are skipped rather than expanded.
 */

export interface NpmRegistryConfig {
  registry?: string;
  cafile?: string;
}

const KEYS = ['registry', 'cafile'] as const;
type Key = (typeof KEYS)[number];

const GLOBAL_CONFIGS = ['/usr/etc/npmrc', '/usr/local/etc/npmrc', '/etc/npmrc'];

export async function resolveNpmRegistryConfig(
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): Promise<NpmRegistryConfig> {
  const fromEnv: Partial<Record<Key, string>> = {};
  for (const key of KEYS) {
    const value = envValue(env, `npm_config_${key}`);
    if (value !== undefined) fromEnv[key] = value;
  }
  const userFile = envValue(env, 'npm_config_userconfig') ?? join(home, '.npmrc');
  const globalFile = envValue(env, 'npm_config_globalconfig');
  const files = [userFile, ...(globalFile ? [globalFile] : GLOBAL_CONFIGS)];
  const layers = [fromEnv];
  for (const file of files) layers.push(parseNpmrc(await readOptional(file)));

  const config: NpmRegistryConfig = {};
  const registry = firstValid(layers, 'registry', sanitizeRegistry);
  const cafile = firstValid(layers, 'cafile', (v) => (isAbsolute(v) ? v : undefined));
  if (registry !== undefined) config.registry = registry;
  if (cafile !== undefined) config.cafile = cafile;
  return config;
}

/** An http(s) registry URL without credentials, ending in `/`; undefined when it is not one. */
export function sanitizeRegistry(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** `key=value` lines of an .npmrc, only the keys we take; comments (`;`, `#`) and sections ignored. */
export function parseNpmrc(text: string): Partial<Record<Key, string>> {
  const found: Partial<Record<Key, string>> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1);
    if ((KEYS as readonly string[]).includes(key) && !value.includes('${') && value !== '') {
      found[key as Key] = value;
    }
  }
  return found;
}

function firstValid(
  layers: Partial<Record<Key, string>>[],
  key: Key,
  accept: (value: string) => string | undefined,
): string | undefined {
  for (const layer of layers) {
    const value = layer[key];
    const accepted = value === undefined ? undefined : accept(value);
    if (accepted !== undefined) return accepted;
  }
  return undefined;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const match = Object.keys(env).find((k) => k.toLowerCase() === name);
  const value = match === undefined ? undefined : env[match];
  return value === undefined || value === '' ? undefined : value;
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}
