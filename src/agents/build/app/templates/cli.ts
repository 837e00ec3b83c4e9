import type { AppSpec, ResourceSpec } from '../spec.ts';
import { resourceDefinition } from './runtime.ts';

/** The generated command-line program: argument parsing and output, the binary, resource commands. */

export const EXIT_CODES = { ok: 0, notFound: 1, usage: 2, forbidden: 3, conflict: 4 } as const;

function moduleName(resource: ResourceSpec): string {
  return resource.plural.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function cliJs(spec: AppSpec): string {
  const imports = spec.resources
    .map((r) => `import * as ${moduleName(r)} from './resources/${r.plural}.js';`)
    .join('\n');
  const plurals = spec.resources.map((r) => r.plural).join(', ');
  return `import { openStore } from './store.js';
${imports}

const MODULES = [${spec.resources.map(moduleName).join(', ')}];
export const resources = MODULES.map((m) => m.resource);
export const EXIT = ${JSON.stringify(EXIT_CODES)};

const USAGE = \`usage: ${spec.name} <resource> <command> [options]
       ${spec.name} audit

resources: ${plurals}
commands:
  add --<field> <value> ...                   create a record
  list [--q <text>] [--owner <user>]          newest first
  show <id>
  update <id> --version <n> [--<field> <value> ...]
  remove <id>

The acting user is APP_USER (default: USER); data lives in DATA_FILE (default: data/app.db).
Exit codes: 0 ok, 1 not found, 2 bad input, 3 forbidden (logged), 4 version conflict.\`;

/** \`--name value\` and \`--name=value\` options; everything else is positional. */
export function parseArgs(args) {
  const options = {};
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      options[arg.slice(2, eq)] = arg.slice(eq + 1);
      continue;
    }
    if (i + 1 >= args.length) return { error: 'option ' + arg + ' needs a value' };
    options[arg.slice(2)] = args[++i];
  }
  return { options, positional };
}

function render(result) {
  const stdout = result.body === undefined ? '' : JSON.stringify(result.body, null, 2) + '\\n';
  const lines = result.message === undefined ? [] : ['error: ' + result.message];
  for (const [field, reason] of Object.entries(result.fields ?? {})) lines.push('  ' + field + ': ' + reason);
  return { code: EXIT[result.exit], stdout, stderr: lines.map((l) => l + '\\n').join('') };
}

function usage(message) {
  return render({ exit: 'usage', message: message + '\\n\\n' + USAGE });
}

/** Pure apart from the database: the binary prints what this returns, tests call it directly. */
export function run(argv, { dataFile = ':memory:', user = '' } = {}) {
  const [noun, verb, ...rest] = argv;
  if (noun === 'help' || noun === '--help') return { code: EXIT.ok, stdout: USAGE + '\\n', stderr: '' };
  if (noun === undefined) return usage('missing resource');
  const module = MODULES.find((m) => m.resource.plural === noun);
  if (noun !== 'audit' && module === undefined) return usage('unknown resource "' + noun + '"');
  const parsed = parseArgs(noun === 'audit' ? [] : rest);
  if (parsed.error) return usage(parsed.error);
  if (user === '') return usage('set APP_USER to say who you are');
  const store = openStore(dataFile, resources);
  try {
    if (noun === 'audit') return render({ exit: 'ok', body: { entries: store.audit() } });
    const command = module.commands(store)[verb];
    if (command === undefined) return usage('unknown command "' + verb + '"');
    return render(command({ user, ...parsed }));
  } finally {
    store.close();
  }
}
`;
}

export function binJs(): string {
  return `#!/usr/bin/env node
import { run } from '../src/cli.js';

const result = run(process.argv.slice(2), {
  dataFile: process.env.DATA_FILE ?? 'data/app.db',
  user: process.env.APP_USER ?? process.env.USER ?? '',
});
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
`;
}

export function cliResourceJs(resource: ResourceSpec): string {
  return `import { fromText, validate } from '../validate.js';

${resourceDefinition(resource)}

function valuesFrom(options) {
  const input = {};
  for (const [name, text] of Object.entries(options)) {
    const field = resource.fields.find((f) => f.name === name);
    input[name] = field ? fromText(field, text) : text;
  }
  return input;
}

const NOT_FOUND = { exit: 'notFound', message: '${resource.name} not found' };
const FORBIDDEN = { exit: 'forbidden', message: 'only the owner may change this record; the attempt was logged' };
const NEEDS_ID = { exit: 'usage', message: 'missing <id>' };

export function commands(store) {
  return {
    add: ({ user, options }) => {
      const input = validate(resource.fields, valuesFrom(options), 'create');
      if (!input.ok) return { exit: 'usage', message: 'invalid input', fields: input.fields };
      return { exit: 'ok', body: store.create(resource, user, input.values) };
    },
    list: ({ options }) => ({
      exit: 'ok',
      body: { items: store.list(resource, { q: options.q ?? '', owner: options.owner ?? '' }) },
    }),
    show: ({ positional: [id] }) => {
      if (id === undefined) return NEEDS_ID;
      const record = store.get(resource, id);
      return record ? { exit: 'ok', body: record } : NOT_FOUND;
    },
    update: ({ user, options, positional: [id] }) => {
      if (id === undefined) return NEEDS_ID;
      const { version, ...changes } = options;
      const body = { ...valuesFrom(changes), version: version === undefined ? undefined : Number(version) };
      const input = validate(resource.fields, body, 'update');
      if (!input.ok) return { exit: 'usage', message: 'invalid input', fields: input.fields };
      const result = store.update(resource, user, id, body.version, input.values);
      if (result.status === 'not-found') return NOT_FOUND;
      if (result.status === 'forbidden') return FORBIDDEN;
      if (result.status === 'conflict') {
        return { exit: 'conflict', message: 'version conflict: reload and retry', body: { current: result.current } };
      }
      return { exit: 'ok', body: result.record };
    },
    remove: ({ user, positional: [id] }) => {
      if (id === undefined) return NEEDS_ID;
      const result = store.remove(resource, user, id);
      if (result.status === 'not-found') return NOT_FOUND;
      if (result.status === 'forbidden') return FORBIDDEN;
      return { exit: 'ok', body: { removed: id } };
    },
  };
}
`;
}
