/**
 * Writes the JSON Schema of every contract to `schemas/<$id>.json` and removes files of contracts
 * that no longer exist. Run with `npm run schemas`; `src/core/schemas/schemas.test.ts` fails when
 * the checked-in files and the zod definitions disagree.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contractSchemaFiles } from '../src/core/schemas/json-schema.ts';

const outDir = fileURLToPath(new URL('../schemas/', import.meta.url));

async function main(): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const files = contractSchemaFiles();
  let changed = 0;
  for (const [name, text] of files) {
    const path = join(outDir, name);
    const current = await readFile(path, 'utf8').catch(() => undefined);
    if (current === text) continue;
    await writeFile(path, text);
    changed += 1;
    console.log(`wrote schemas/${name}`);
  }
  for (const name of await readdir(outDir)) {
    if (name.startsWith('schema.') && name.endsWith('.json') && !files.has(name)) {
      await rm(join(outDir, name));
      changed += 1;
      console.log(`removed schemas/${name}`);
    }
  }
  console.log(`${files.size} schemas, ${changed} changed`);
}

await main();
