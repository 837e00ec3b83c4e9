// Runs inside one sandboxed invocation (no network; the workspace read-only): ESLint with the rules it
// is given, over the workspace's `src/` and `test/` (recursively) and `public/*.js`, and writes
// `sast-scan.json`. The configuration is built here, never looked up: a workspace's own ESLint config
// and its `eslint-disable` comments (noInlineConfig) cannot switch a rule off.
// argv: <scratch dir> <json: { workspace, rules: string[] }>
import { lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import security from 'eslint-plugin-security';
import globals from 'globals';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const resultFile = join(scratch, 'sast-scan.json');

const SCRIPT = /\.(?:js|mjs|cjs)$/;

/** Relative paths of the scripts under `dir`; `recursive` false for `public/` (its top level only). */
function scripts(dir, recursive) {
  const found = [];
  let entries;
  try {
    entries = readdirSync(join(spec.workspace, dir), { withFileTypes: true });
  } catch {
    return found; // No such directory.
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (recursive && entry.name !== 'node_modules') found.push(...scripts(path, true));
    } else if (entry.isFile() && SCRIPT.test(entry.name) && lstatSync(join(spec.workspace, path)).isFile()) {
      found.push(path);
    }
  }
  return found;
}

function config() {
  const rules = Object.fromEntries(spec.rules.map((rule) => [rule, 'error']));
  return [
    {
      files: ['**/*.js', '**/*.mjs'],
      languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: { ...globals.node } },
    },
    {
      files: ['**/*.cjs'],
      languageOptions: { ecmaVersion: 'latest', sourceType: 'commonjs', globals: { ...globals.node } },
    },
    { files: ['public/**'], languageOptions: { globals: { ...globals.browser } } },
    {
      linterOptions: {
        noInlineConfig: true,
        reportUnusedDisableDirectives: 'off',
        reportUnusedInlineConfigs: 'off',
      },
      plugins: { security },
      rules,
    },
  ];
}

async function lint() {
  const files = [...scripts('src', true), ...scripts('test', true), ...scripts('public', false)].sort();
  if (files.length === 0) return { filesScanned: 0, messages: [] };
  const eslint = new ESLint({
    cwd: spec.workspace,
    overrideConfigFile: true,
    overrideConfig: config(),
    // The file list is ours: no default ignores, no cache file written into the workspace.
    ignore: false,
    cache: false,
    errorOnUnmatchedPattern: true,
  });
  const results = await eslint.lintFiles(files);
  const messages = [];
  for (const result of results) {
    const file = result.filePath.slice(spec.workspace.length + 1);
    for (const m of result.messages) {
      messages.push({
        file,
        rule: m.ruleId,
        fatal: m.fatal === true,
        line: m.line,
        column: m.column,
        message: m.message,
      });
    }
  }
  if (results.length !== files.length) {
    throw new Error(`ESLint returned ${results.length} results for ${files.length} files`);
  }
  return { filesScanned: files.length, messages };
}

let exitCode = 0;
try {
  writeFileSync(resultFile, JSON.stringify({ eslintVersion: ESLint.version, ...(await lint()) }));
} catch (error) {
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  writeFileSync(resultFile, JSON.stringify({ error: String(error?.message ?? error) }));
  exitCode = 1;
}
process.exit(exitCode);
