import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pgliteStartParams } from './pglite-settings.ts';

/**
 * A new embedded data dir starts as a copy of a cluster initialised once per installation.
 *
 * PGlite runs initdb in WASM for every new data dir (about 2.3 s on a quiet 2-core machine, several
 * seconds under load) and that work is identical every time: the same Postgres version writes the same
 * catalog. So the first data dir built by an installation initialises a template, and every later one
 * copies it (a 39 MB directory copy, about 0.1 s) and opens it like an existing data dir. The copy
 * lands in a temporary sibling and is renamed into place, so a crash mid-copy never leaves a half
 * cluster behind; two processes building the template at once both succeed, one rename wins.
 *
 * A template can also be prepared (IdeaMine applies its migrations to it): its name then carries the
 * caller's key (a fingerprint of the migrations), so a new migration builds a new template, and the
 * templates of older keys in the same cache directory are removed once the new one is in place.
 */

/** Runs once on a freshly initialised template cluster, before it is published. */
export type PrepareTemplate = (pg: PGlite) => Promise<void>;

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function pgliteVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Where this installation keeps its template: the package's node_modules cache, else the user's cache. */
export function templateCandidates(key?: string): string[] {
  const name = `pglite-${pgliteVersion()}${key ? `-${key}` : ''}-pgdata`;
  return [
    join(PACKAGE_ROOT, 'node_modules', '.cache', 'ideamine', name),
    join(homedir(), '.cache', 'ideamine', name),
  ];
}

function isCluster(dir: string): boolean {
  return existsSync(join(dir, 'PG_VERSION'));
}

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

async function buildTemplate(target: string, prepare: PrepareTemplate | undefined): Promise<boolean> {
  const staging = `${target}.build-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    const pg = await PGlite.create({ dataDir: staging, startParams: pgliteStartParams() });
    try {
      await prepare?.(pg);
    } finally {
      await pg.close();
    }
    try {
      renameSync(staging, target);
    } catch (error) {
      // Another process finished its template first: theirs is as good as ours.
      if (!isCluster(target)) throw error;
      rmSync(staging, { recursive: true, force: true });
    }
    removeStaleTemplates(target);
    return true;
  } catch {
    rmSync(staging, { recursive: true, force: true });
    return false;
  }
}

/** Templates of other keys or versions beside `current`: each is a 40 MB cluster nothing opens again. */
function removeStaleTemplates(current: string): void {
  const dir = dirname(current);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path !== current && /^pglite-.+-pgdata$/.test(name)) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Fills a new `pgdata` from the installation's template, building the template first if this is the
 * installation's first data dir. Returns false (and leaves `pgdata` alone, so PGlite initialises it
 * in place as before) when `pgdata` already holds something or no template location is writable.
 */
export async function seedFromTemplate(
  pgdata: string,
  candidates = templateCandidates(),
  prepare?: PrepareTemplate,
): Promise<boolean> {
  if (!isEmptyOrMissing(pgdata)) return false;
  let template = candidates.find(isCluster);
  if (!template) {
    for (const candidate of candidates) {
      if (await buildTemplate(candidate, prepare)) {
        template = candidate;
        break;
      }
    }
  }
  if (!template) return false;
  const staging = `${pgdata}.seed-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    cpSync(template, staging, { recursive: true });
  } catch {
    // The template went away mid-copy (another installation replaced it): initialise in place instead.
    rmSync(staging, { recursive: true, force: true });
    return false;
  }
  rmSync(pgdata, { recursive: true, force: true });
  renameSync(staging, pgdata);
  return true;
}
