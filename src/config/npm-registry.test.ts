import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNpmrc, resolveNpmRegistryConfig, sanitizeRegistry } from './npm-registry.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function home(npmrc?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ideamine-npmrc-'));
  dirs.push(dir);
  if (npmrc !== undefined) writeFileSync(join(dir, '.npmrc'), npmrc);
  return dir;
}

/** A global config of our own, so that the machine's /etc/npmrc does not leak into the test. */
function globalConfig(text: string): string {
  const dir = home();
  writeFileSync(join(dir, 'npmrc'), text);
  return join(dir, 'npmrc');
}

describe('resolveNpmRegistryConfig', () => {
  it('takes the registry and CA file from ~/.npmrc, and never a token', async () => {
    const dir = home(
      [
        '; user config',
        'registry = https://mirror.example.test/npm/',
        '//mirror.example.test/npm/:_authToken=npm_secrettoken',
        '_auth=dXNlcjpwYXNz',
        'cafile="/etc/ssl/certs/mirror.pem"',
        '@corp:registry=https://corp.example.test/',
      ].join('\n'),
    );
    const config = await resolveNpmRegistryConfig({ npm_config_globalconfig: globalConfig('') }, dir);
    expect(config).toEqual({
      registry: 'https://mirror.example.test/npm/',
      cafile: '/etc/ssl/certs/mirror.pem',
    });
    expect(JSON.stringify(config)).not.toMatch(/secrettoken|dXNlcjpwYXNz/);
  });

  it('prefers the environment, then the user config, then the global config, as npm does', async () => {
    const global = globalConfig('registry=https://global.example.test/\ncafile=/etc/global.pem\n');
    const dir = home('registry=https://user.example.test/\n');
    expect(await resolveNpmRegistryConfig({ npm_config_globalconfig: global }, dir)).toEqual({
      registry: 'https://user.example.test/',
      cafile: '/etc/global.pem',
    });
    expect(
      await resolveNpmRegistryConfig(
        { npm_config_globalconfig: global, NPM_CONFIG_REGISTRY: 'http://env.example.test:4873' },
        dir,
      ),
    ).toEqual({ registry: 'http://env.example.test:4873/', cafile: '/etc/global.pem' });
    expect(await resolveNpmRegistryConfig({ npm_config_globalconfig: global }, home())).toEqual({
      registry: 'https://global.example.test/',
      cafile: '/etc/global.pem',
    });
  });

  it('drops credentials from a registry URL and skips what it cannot use', async () => {
    expect(sanitizeRegistry('https://user:pass@mirror.example.test/npm?token=x')).toBe(
      'https://mirror.example.test/npm/',
    );
    expect(sanitizeRegistry('file:///etc/passwd')).toBeUndefined();
    expect(sanitizeRegistry('not a url')).toBeUndefined();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: npm's own ${VAR} syntax, which is skipped
    const dir = home('registry=${NPM_MIRROR}\ncafile=relative/ca.pem\n');
    expect(await resolveNpmRegistryConfig({ npm_config_globalconfig: globalConfig('') }, dir)).toEqual({});
  });

  it('reads only registry and cafile lines', () => {
    expect(
      parseNpmrc('# comment\nregistry=https://r.test/\nstrict-ssl=false\n[section]\ncafile = /ca.pem'),
    ).toEqual({
      registry: 'https://r.test/',
      cafile: '/ca.pem',
    });
  });
});
