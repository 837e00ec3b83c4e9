import type { NpmRegistryConfig } from '../../config/npm-registry.ts';

/**
 * npm's settings for the tools that run it (sbom, dependency-audit), added to the scrubbed
 * environment whose HOME is the invocation's scratch dir (so no user .npmrc, and the cache and logs
 * are private and thrown away).
 *
 * Retries are cut from npm's defaults (2 retries, 10-60 s apart: a dead registry took 2 min 20 s to
 * give up, measured here) to 1 retry after 2-10 s, so an unreachable registry is reported in seconds.
 */
const COMMON: Readonly<Record<string, string>> = {
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_fetch_retries: '1',
  npm_config_fetch_retry_mintimeout: '2000',
  npm_config_fetch_retry_maxtimeout: '10000',
  npm_config_fetch_timeout: '60000',
};

/** For a tool without network: npm answers from nothing but what it is given, and says so (ENOTCACHED). */
export function npmOfflineEnv(): Record<string, string> {
  return { ...COMMON, npm_config_offline: 'true' };
}

/** For the registry query: the user's registry and CA bundle, never credentials. */
export function npmRegistryEnv(config: NpmRegistryConfig): Record<string, string> {
  return {
    ...COMMON,
    ...(config.registry !== undefined ? { npm_config_registry: config.registry } : {}),
    ...(config.cafile !== undefined ? { npm_config_cafile: config.cafile } : {}),
  };
}
