import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The npm packages IdeaMine runs as tools, as installed beside it: their directory, version and
 * command-line entry point. A tool's version is read from the package that actually runs, never
 * written down by hand.
 */

const requireHere = createRequire(import.meta.url);

interface PackageJson {
  name: string;
  version: string;
  bin?: string | Record<string, string>;
}

/** The installed package's directory (through `<name>/package.json`, or its main entry when exports hide it). */
export function packageDir(name: string): string {
  try {
    return dirname(requireHere.resolve(`${name}/package.json`));
  } catch {
    let dir = dirname(requireHere.resolve(name));
    while (!dir.endsWith(`/node_modules/${name}`)) {
      const parent = dirname(dir);
      if (parent === dir) throw new Error(`cannot find the directory of the installed package ${name}`);
      dir = parent;
    }
    return dir;
  }
}

export async function packageJson(name: string): Promise<PackageJson> {
  return JSON.parse(await readFile(join(packageDir(name), 'package.json'), 'utf8')) as PackageJson;
}

export async function packageVersion(name: string): Promise<string> {
  return (await packageJson(name)).version;
}

/** The absolute path of a package's command (`bin`), by command name (default: the only one). */
export async function packageBin(name: string, command?: string): Promise<string> {
  const pkg = await packageJson(name);
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.[command ?? Object.keys(pkg.bin)[0] ?? ''];
  if (bin === undefined) throw new Error(`the package ${name} has no command ${command ?? ''}`.trim());
  return join(packageDir(name), bin);
}
