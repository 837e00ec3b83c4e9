import { storiesOfResource, unitTestPrefix } from '../layout.ts';
import type { AppSpec, CriterionSpec, ResourceSpec } from '../spec.ts';
import { invalidCase, invalidValueOf, labelField, sampleFunctionJs, withinMs } from './samples.ts';
import { acceptanceTestName } from './service-tests.ts';

/** The generated CLI's tests: in-process unit tests, acceptance tests that spawn the binary. */

export function cliSupportJs(spec: AppSpec): string {
  return `import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli.js';

export const BIN = fileURLToPath(new URL('../../bin/${spec.name}.js', import.meta.url));

/** One database file per test file, removed afterwards. */
export function tempDataFile() {
  const dir = mkdtempSync(join(tmpdir(), '${spec.name}-'));
  return { file: join(dir, 'app.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function uniqueUser(role) {
  return role + '-' + randomUUID();
}

/** A record as command-line options. */
export function toArgs(record) {
  return Object.entries(record).flatMap(([name, value]) => ['--' + name, String(value)]);
}

function withJson(result) {
  return { ...result, json: () => JSON.parse(result.stdout) };
}

/** The binary as a user runs it: a real process on the same Node. */
export function spawnCli(dataFile, user, args) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, DATA_FILE: dataFile, APP_USER: user },
    encoding: 'utf8',
  });
  return withJson({ code: r.status, stdout: r.stdout, stderr: r.stderr });
}

export function runCli(dataFile, user, args) {
  return withJson(run(args, { dataFile, user }));
}
`;
}

const HEADER = (support: string) => `import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runCli, spawnCli, tempDataFile, toArgs, uniqueUser } from '${support}';`;

export function cliSharedTestJs(spec: AppSpec): string {
  const first = spec.resources[0]!;
  return `${HEADER('./support/cli.js')}

const data = tempDataFile();
after(() => data.remove());
const cli = (args, user = 'someone') => runCli(data.file, user, args);

${sampleFunctionJs(first)}

test('UT-cli-help prints the usage and exits 0', () => {
  const res = cli(['help']);
  assert.equal(res.code, 0);
  assert.match(res.stdout, /usage: ${spec.name}/);
  const spawned = spawnCli(data.file, 'someone', ['--help']);
  assert.equal(spawned.code, 0);
  assert.match(spawned.stdout, /Exit codes/);
});

test('UT-cli-bad invocations exit 2 with a message', () => {
  for (const args of [[], ['nothing'], ['${first.plural}', 'frobnicate'], ['${first.plural}', 'add', '--dangling']]) {
    const res = cli(args);
    assert.equal(res.code, 2, args.join(' '));
    assert.match(res.stderr, /^error: /);
  }
  assert.match(cli(['${first.plural}', 'list'], '').stderr, /APP_USER/);
});

test('UT-cli-options accept --name=value', () => {
  const res = cli(['${first.plural}', 'list', '--q=nothing-matches-this']);
  assert.equal(res.code, 0);
  assert.deepEqual(res.json().items, []);
});

test('UT-cli-audit lists refused attempts', () => {
  const res = cli(['audit']);
  assert.equal(res.code, 0);
  assert.ok(Array.isArray(res.json().entries));
});

test('UT-cli-data persists across runs of the binary', () => {
  const user = uniqueUser('owner');
  const added = spawnCli(data.file, user, ['${first.plural}', 'add', ...toArgs(sample('persisted'))]);
  assert.equal(added.code, 0, added.stderr);
  const shown = spawnCli(data.file, user, ['${first.plural}', 'show', added.json().id]);
  assert.deepEqual(shown.json(), added.json());
});
`;
}

function resourceHeader(resource: ResourceSpec): string {
  return `const NOUN = '${resource.plural}';
const LABEL = '${labelField(resource).name}';

${sampleFunctionJs(resource)}

const data = tempDataFile();
after(() => data.remove());`;
}

export function cliUnitTestJs(resource: ResourceSpec): string {
  const t = unitTestPrefix(resource);
  const bad = invalidCase(resource);
  const wrongTypes = Object.fromEntries(resource.fields.map((f) => [f.name, invalidValueOf(f).value]));
  return `${HEADER('./support/cli.js')}

${resourceHeader(resource)}
const as = (user) => (...args) => runCli(data.file, user, [NOUN, ...args]);

test('${t}add prints the record with id, owner and version 1', () => {
  const user = uniqueUser('owner');
  const res = as(user)('add', ...toArgs(sample('created')));
  assert.equal(res.code, 0, res.stderr);
  const record = res.json();
  assert.equal(record.owner, user);
  assert.equal(record.version, 1);
  for (const [name, value] of Object.entries(sample('created'))) assert.deepEqual(record[name], value, name);
});

test('${t}list is newest first, searchable with --q and filterable by --owner', () => {
  const user = uniqueUser('owner');
  const cli = as(user);
  const first = cli('add', ...toArgs(sample(user + ' one'))).json();
  const second = cli('add', ...toArgs(sample(user + ' two'))).json();
  assert.deepEqual(cli('list', '--owner', user).json().items.map((r) => r.id), [second.id, first.id]);
  assert.deepEqual(cli('list', '--q', user + ' two').json().items.map((r) => r.id), [second.id]);
});

test('${t}show prints one record; unknown ids exit 1', () => {
  const cli = as(uniqueUser('owner'));
  const created = cli('add', ...toArgs(sample('shown'))).json();
  assert.deepEqual(cli('show', created.id).json(), created);
  assert.equal(cli('show', 'no-such-id').code, 1);
  assert.equal(cli('show').code, 2);
});

test('${t}update bumps the version; a stale version exits 4 with the current record', () => {
  const cli = as(uniqueUser('owner'));
  const created = cli('add', ...toArgs(sample('before'))).json();
  const updated = cli('update', created.id, '--version', '1', '--' + LABEL, 'after');
  assert.equal(updated.code, 0, updated.stderr);
  assert.equal(updated.json().version, 2);
  const stale = cli('update', created.id, '--version', '1', '--' + LABEL, 'lost');
  assert.equal(stale.code, 4);
  assert.equal(stale.json().current[LABEL], 'after');
  assert.equal(cli('update', created.id, '--' + LABEL, 'x').code, 2);
  assert.equal(cli('update', 'no-such-id', '--version', '1').code, 1);
  assert.equal(cli('update').code, 2);
});

test('${t}remove deletes the record; unknown ids exit 1', () => {
  const cli = as(uniqueUser('owner'));
  const created = cli('add', ...toArgs(sample('doomed'))).json();
  assert.equal(cli('remove', created.id).code, 0);
  assert.equal(cli('show', created.id).code, 1);
  assert.equal(cli('remove', created.id).code, 1);
  assert.equal(cli('remove').code, 2);
});

test('${t}only the owner changes or removes a record; refusals exit 3 and are audited', () => {
  const created = as(uniqueUser('owner'))('add', ...toArgs(sample('mine'))).json();
  const intruder = uniqueUser('intruder');
  const other = as(intruder);
  assert.equal(other('update', created.id, '--version', '1').code, 3);
  assert.equal(other('remove', created.id).code, 3);
  const audit = runCli(data.file, intruder, ['audit']).json();
  assert.deepEqual(audit.entries.filter((e) => e.user === intruder).map((e) => e.action), ['delete', 'update']);
});

test('${t}validation exits 2 and names each malformed field', () => {
  const cli = as(uniqueUser('owner'));
  const res = cli('add', ...toArgs({ ...${JSON.stringify(wrongTypes)}, extra: 'x' }));
  assert.equal(res.code, 2);
  for (const name of ${JSON.stringify([...resource.fields.map((f) => f.name), 'extra'])}) {
    assert.match(res.stderr, new RegExp('  ' + name + ': '));
  }
  assert.match(res.stderr, /${bad.field}: ${bad.reason.replace(/[()]/g, '\\$&')}/);
});
`;
}

function cliAcceptanceBody(resource: ResourceSpec, c: CriterionSpec): string {
  const ms = withinMs(c.text);
  const timed =
    ms === undefined ? '' : `\n  assert.ok(Date.now() - started < ${ms}, 'answered within ${ms} ms');`;
  switch (c.kind) {
    case 'create':
      return `  const started = Date.now();
  const created = spawnCli(data.file, uniqueUser('author'), [NOUN, 'add', ...toArgs(sample('${c.testId}'))]);
  assert.equal(created.code, 0, created.stderr);
  const seen = spawnCli(data.file, uniqueUser('reader'), [NOUN, 'show', created.json().id]);
  assert.equal(seen.code, 0);
  assert.deepEqual(seen.json(), created.json());${timed}`;
    case 'search':
      return `  const user = uniqueUser('searcher');
  const token = uniqueUser('${c.testId}');
  const older = spawnCli(data.file, user, [NOUN, 'add', ...toArgs(sample(token + ' older'))]).json();
  const newer = spawnCli(data.file, user, [NOUN, 'add', ...toArgs(sample(token + ' newer'))]).json();
  const started = Date.now();
  const found = spawnCli(data.file, user, [NOUN, 'list', '--q', token]);
  assert.equal(found.code, 0);
  assert.deepEqual(found.json().items.map((r) => r.id), [newer.id, older.id]);${timed}`;
    case 'invalid': {
      const bad = invalidCase(resource);
      return `  const user = uniqueUser('author');
  const res = spawnCli(data.file, user, [NOUN, 'add', ...toArgs({ ...sample('${c.testId}'), ${bad.field}: ${JSON.stringify(bad.value)} })]);
  assert.equal(res.code, 2);
  assert.ok(res.stderr.includes(${JSON.stringify(`  ${bad.field}: ${bad.reason}`)}), res.stderr);
  assert.deepEqual(spawnCli(data.file, user, [NOUN, 'list', '--owner', user]).json().items, []);`;
    }
    case 'forbidden':
      return `  const owner = uniqueUser('owner');
  const created = spawnCli(data.file, owner, [NOUN, 'add', ...toArgs(sample('${c.testId}'))]).json();
  const intruder = uniqueUser('intruder');
  assert.equal(spawnCli(data.file, intruder, [NOUN, 'update', created.id, '--version', '1', '--' + LABEL, 'taken']).code, 3);
  assert.equal(spawnCli(data.file, intruder, [NOUN, 'remove', created.id]).code, 3);
  assert.deepEqual(spawnCli(data.file, owner, [NOUN, 'show', created.id]).json(), created);
  const audit = spawnCli(data.file, intruder, ['audit']).json();
  const logged = audit.entries.filter((e) => e.user === intruder && e.recordId === created.id);
  assert.deepEqual(logged.map((e) => e.action).sort(), ['delete', 'update']);`;
    case 'conflict':
      return `  const user = uniqueUser('editor');
  const created = spawnCli(data.file, user, [NOUN, 'add', ...toArgs(sample('${c.testId}'))]).json();
  assert.equal(spawnCli(data.file, user, [NOUN, 'update', created.id, '--version', '1', '--' + LABEL, 'newer']).code, 0);
  const stale = spawnCli(data.file, user, [NOUN, 'update', created.id, '--version', '1', '--' + LABEL, 'stale']);
  assert.equal(stale.code, 4);
  assert.equal(stale.json().current.version, 2);
  assert.equal(spawnCli(data.file, user, [NOUN, 'show', created.id]).json()[LABEL], 'newer');`;
    case 'unknown':
      return '';
  }
}

export function cliAcceptanceTestJs(spec: AppSpec, resource: ResourceSpec): string {
  const tests = storiesOfResource(spec, resource).flatMap((story) =>
    story.criteria.map((c) => {
      const name = JSON.stringify(acceptanceTestName(story, c));
      // Not implemented must show as such in the report, never as a pass.
      if (c.kind === 'unknown') return `test.todo(${name});`;
      return `test(${name}, () => {\n${cliAcceptanceBody(resource, c)}\n});`;
    }),
  );
  return `${HEADER('../support/cli.js')}

${resourceHeader(resource)}

${tests.join('\n\n')}
`;
}
