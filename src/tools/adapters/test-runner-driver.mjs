// Runs inside one sandboxed invocation: `node --check` on every JavaScript file (a file that does not
// parse is reported with the parser's own message), then the workspace's tests with coverage.
// argv: <scratch dir> <json: { flags, patterns }>
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { nodeTestArgs, run } from './driver-support.mjs';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const CHECKED_DIRS = ['src', 'bin', 'test', 'public'];

function* jsFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* jsFiles(path);
    else if (/\.(js|mjs|cjs)$/.test(entry.name)) yield path;
  }
}

function parseError(file, stderr) {
  const lines = stderr.split('\n');
  const where = /:(\d+)\s*$/.exec(lines[0] ?? '');
  const message =
    lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.filter(Boolean).at(-1) ?? 'does not parse';
  return { file, ...(where ? { line: Number(where[1]) } : {}), message: message.trim() };
}

/** `node --check <file>`: exit code and the parser's message. */
function check(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--check', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => resolve({ status: 1, stderr: String(error) }));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

// One process per file (that is what `node --check` takes), four at a time; results keep file order.
const files = CHECKED_DIRS.flatMap((dir) => [...jsFiles(dir)]);
const results = new Array(files.length);
let next = 0;
await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await check(files[i]);
    }
  }),
);
const parseErrors = files.flatMap((file, i) =>
  results[i].status === 0 ? [] : [parseError(relative('.', file), results[i].stderr ?? '')],
);
writeFileSync(join(scratch, 'parse-errors.json'), JSON.stringify(parseErrors));

const args = nodeTestArgs(join(scratch, 'events.jsonl'), {
  flags: ['--experimental-test-coverage', ...spec.flags],
  patterns: spec.patterns,
});
writeFileSync(join(scratch, 'command.json'), JSON.stringify(['node', ...args]));
process.exit(await run(process.execPath, args, {}));
