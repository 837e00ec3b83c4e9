import { storiesOfResource, unitTestPrefix } from '../layout.ts';
import type { AppSpec, CriterionSpec, ResourceSpec, StorySpec } from '../spec.ts';
import { invalidCase, invalidValueOf, labelField, sampleFunctionJs, withinMs } from './samples.ts';
import { BODY_LIMIT_BYTES } from './service.ts';

/** The generated service's tests: unit tests per resource, one acceptance test per criterion. */

export function targetJs(): string {
  return `import { randomUUID } from 'node:crypto';

/**
 * The service under test: BASE_URL when it is an http(s) URL (the acceptance run against a started
 * app), else the app in-process on an ephemeral port with an in-memory database, one per test file.
 * Other tools set BASE_URL to a path ("/"), which is not a server to test.
 */
export async function startTarget() {
  const base = process.env.BASE_URL ?? '';
  if (/^https?:\\/\\//.test(base)) return { baseUrl: base.replace(/\\/$/, ''), stop: async () => {} };
  const { createApp } = await import('../../src/app.js');
  const app = createApp({ dataFile: ':memory:' });
  await new Promise((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: 'http://127.0.0.1:' + app.server.address().port, stop: () => app.close() };
}

/** Users are unique per test, so tests never see each other's records on a shared server. */
export function uniqueUser(role) {
  return role + '-' + randomUUID();
}

export function client(baseUrl, user) {
  async function call(method, path, body, headers = {}) {
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(user ? { 'x-user': user } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed, headers: res.headers };
  }
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
    call,
  };
}
`;
}

const HEADER = `import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { client, startTarget, uniqueUser } from '../support/target.js';`;

export function appTestJs(spec: AppSpec): string {
  const first = spec.resources[0]!;
  return `${HEADER.replace(/\.\.\/support/g, './support')}

let target;
before(async () => {
  target = await startTarget();
});
after(() => target.stop());

test('UT-app-healthz answers 200 once ready', async () => {
  const res = await client(target.baseUrl).get('/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { ok: true });
});

test('UT-app-unknown routes answer 404 and wrong methods 405', async () => {
  const api = client(target.baseUrl, uniqueUser('user'));
  assert.equal((await api.get('/api/v1/nothing-here')).status, 404);
  const wrong = await api.call('PUT', '${first.path}');
  assert.equal(wrong.status, 405);
  assert.match(wrong.headers.get('allow'), /POST/);
});

test('UT-app-malformed JSON is a 400', async () => {
  const res = await client(target.baseUrl, uniqueUser('user')).post('${first.path}', '{"broken": ');
  assert.equal(res.status, 400);
  assert.match(res.body.error, /JSON/);
});

test('UT-app-bodies over the limit are refused with 413', async () => {
  const res = await client(target.baseUrl, uniqueUser('user')).post('${first.path}', 'x'.repeat(${BODY_LIMIT_BYTES} + 1));
  assert.equal(res.status, 413);
});

test('UT-app-the audit log needs a user', async () => {
  assert.equal((await client(target.baseUrl).get('/api/v1/audit')).status, 401);
  const res = await client(target.baseUrl, uniqueUser('auditor')).get('/api/v1/audit');
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.body.entries));
});

test('UT-app-the web page is served with its script and styles', async () => {
  const api = client(target.baseUrl);
  const page = await api.get('/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<html lang="en">/);
  assert.match(page.body, /aria-live="polite"/);
  assert.equal((await api.get('/app.js')).status, 200);
  assert.equal((await api.get('/style.css')).status, 200);
});
`;
}

const FROM_TEXT_TEST = `
test('UT-validate-command-line text converts to the field type', () => {
  assert.equal(fromText({ type: 'number' }, '2.5'), 2.5);
  assert.equal(fromText({ type: 'number' }, ' '), ' ');
  assert.equal(fromText({ type: 'boolean' }, 'true'), true);
  assert.equal(fromText({ type: 'boolean' }, 'false'), false);
  assert.equal(fromText({ type: 'boolean' }, 'yes'), 'yes');
  assert.equal(fromText({ type: 'date' }, '2025-01-15'), '2025-01-15');
});
`;

export function validateTestJs(spec: AppSpec): string {
  const cases: [string, unknown, unknown][] = [
    ['text', 'hello', 42],
    ['number', 3.5, '3.5'],
    ['boolean', false, 'yes'],
    ['date', '2025-02-28', '2025-13-45'],
    ['timestamp', '2025-02-28T10:00:00Z', '2025-02-28'],
    ['uuid', '00000000-0000-4000-8000-000000000001', 'nope'],
  ];
  const rows = cases.map((c) => `  ${JSON.stringify(c)},`).join('\n');
  return `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ${spec.kind === 'cli' ? 'fromText, ' : ''}TEXT_MAX_CHARS, validate } from '../src/validate.js';

const CASES = [
${rows}
];

test('UT-validate-accepts each type and names the field of each wrong value', () => {
  for (const [type, good, bad] of CASES) {
    const fields = [{ name: 'f', type, required: true }];
    assert.deepEqual(validate(fields, { f: good }, 'create'), { ok: true, values: { f: good } }, type);
    const result = validate(fields, { f: bad }, 'create');
    assert.equal(result.ok, false, type);
    assert.equal(typeof result.fields.f, 'string', type);
  }
});

test('UT-validate-required, unknown, oversized and non-object input', () => {
  const fields = [
    { name: 'a', type: 'text', required: true },
    { name: 'b', type: 'text', required: false },
  ];
  assert.deepEqual(validate(fields, {}, 'create').fields, { a: 'is required' });
  assert.deepEqual(validate(fields, { a: 'x', c: 1 }, 'create').fields, { c: 'is not a known field' });
  assert.match(validate(fields, { a: 'x'.repeat(TEXT_MAX_CHARS + 1) }, 'create').fields.a, /at most/);
  assert.deepEqual(validate(fields, [], 'create').fields, { body: 'must be a JSON object' });
});

test('UT-validate-updates need a version and may clear optional fields only', () => {
  const fields = [
    { name: 'a', type: 'text', required: true },
    { name: 'b', type: 'text', required: false },
  ];
  assert.deepEqual(validate(fields, { b: null, version: 1 }, 'update'), { ok: true, values: { b: null } });
  assert.deepEqual(validate(fields, { a: null, version: 1 }, 'update').fields, { a: 'is required' });
  assert.match(validate(fields, { b: 'x' }, 'update').fields.version, /version/);
});
${spec.kind === 'cli' ? FROM_TEXT_TEST : ''}`;
}

function resourceHeader(resource: ResourceSpec): string {
  return `const PATH = '${resource.path}';
const LABEL = '${labelField(resource).name}';

${sampleFunctionJs(resource)}`;
}

export function unitTestJs(resource: ResourceSpec): string {
  const t = unitTestPrefix(resource);
  const bad = invalidCase(resource);
  const wrongTypes = Object.fromEntries(resource.fields.map((f) => [f.name, invalidValueOf(f).value]));
  return `${HEADER.replace(/\.\.\/support/g, './support')}

${resourceHeader(resource)}

let target;
before(async () => {
  target = await startTarget();
});
after(() => target.stop());

test('${t}create returns 201 with id, owner and version 1', async () => {
  const user = uniqueUser('owner');
  const res = await client(target.baseUrl, user).post(PATH, sample('created'));
  assert.equal(res.status, 201);
  assert.equal(res.body.owner, user);
  assert.equal(res.body.version, 1);
  for (const [name, value] of Object.entries(sample('created'))) assert.deepEqual(res.body[name], value, name);
});

test('${t}list is newest first, searchable with q and filterable by owner', async () => {
  const user = uniqueUser('owner');
  const api = client(target.baseUrl, user);
  const first = await api.post(PATH, sample(user + ' one'));
  const second = await api.post(PATH, sample(user + ' two'));
  const all = await api.get(PATH + '?owner=' + encodeURIComponent(user));
  assert.deepEqual(all.body.items.map((r) => r.id), [second.body.id, first.body.id]);
  const found = await api.get(PATH + '?q=' + encodeURIComponent(user + ' two'));
  assert.deepEqual(found.body.items.map((r) => r.id), [second.body.id]);
  const none = await api.get(PATH + '?q=' + encodeURIComponent('50%_' + user));
  assert.deepEqual(none.body.items, []);
});

test('${t}get returns the record, 404 for an unknown id', async () => {
  const api = client(target.baseUrl, uniqueUser('owner'));
  const created = await api.post(PATH, sample('read me'));
  const res = await api.get(PATH + '/' + created.body.id);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, created.body);
  assert.equal((await api.get(PATH + '/00000000-0000-4000-8000-00000000dead')).status, 404);
});

test('${t}update bumps the version; a stale version gets 409 with the current record', async () => {
  const api = client(target.baseUrl, uniqueUser('owner'));
  const created = await api.post(PATH, sample('before'));
  const updated = await api.patch(PATH + '/' + created.body.id, { [LABEL]: 'after', version: 1 });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.version, 2);
  assert.equal(updated.body[LABEL], 'after');
  const stale = await api.patch(PATH + '/' + created.body.id, { [LABEL]: 'lost', version: 1 });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.current.version, 2);
  assert.equal(stale.body.current[LABEL], 'after');
});

test('${t}update validates its input and its target', async () => {
  const api = client(target.baseUrl, uniqueUser('owner'));
  const created = await api.post(PATH, sample('target'));
  const noVersion = await api.patch(PATH + '/' + created.body.id, { [LABEL]: 'x' });
  assert.equal(noVersion.status, 400);
  assert.ok(noVersion.body.fields.version);
  const missing = await api.patch(PATH + '/00000000-0000-4000-8000-00000000dead', { version: 1 });
  assert.equal(missing.status, 404);
});

test('${t}delete returns 204, then the record is gone', async () => {
  const api = client(target.baseUrl, uniqueUser('owner'));
  const created = await api.post(PATH, sample('doomed'));
  assert.equal((await api.delete(PATH + '/' + created.body.id)).status, 204);
  assert.equal((await api.get(PATH + '/' + created.body.id)).status, 404);
  assert.equal((await api.delete(PATH + '/' + created.body.id)).status, 404);
});

test('${t}only the owner changes or deletes a record; refusals are audited', async () => {
  const created = await client(target.baseUrl, uniqueUser('owner')).post(PATH, sample('mine'));
  const intruder = uniqueUser('intruder');
  const other = client(target.baseUrl, intruder);
  assert.equal((await other.patch(PATH + '/' + created.body.id, { version: 1 })).status, 403);
  assert.equal((await other.delete(PATH + '/' + created.body.id)).status, 403);
  const audit = await other.get('/api/v1/audit');
  const mine = audit.body.entries.filter((e) => e.user === intruder).map((e) => e.action);
  assert.deepEqual(mine, ['delete', 'update']);
});

test('${t}requests without X-User get 401', async () => {
  const anonymous = client(target.baseUrl);
  assert.equal((await anonymous.get(PATH)).status, 401);
  assert.equal((await anonymous.post(PATH, sample('anonymous'))).status, 401);
});

test('${t}validation names each missing or malformed field', async () => {
  const api = client(target.baseUrl, uniqueUser('owner'));
  const empty = await api.post(PATH, {});
  assert.equal(empty.status, ${resource.fields.some((f) => f.required) ? 400 : 201});
  const wrong = await api.post(PATH, { ...${JSON.stringify(wrongTypes)}, extra: 1 });
  assert.equal(wrong.status, 400);
  assert.deepEqual(Object.keys(wrong.body.fields).sort(), ${JSON.stringify([...resource.fields.map((f) => f.name), 'extra'].sort())});
  assert.equal(wrong.body.fields['${bad.field}'], '${bad.reason}');
});
`;
}

function acceptanceBody(resource: ResourceSpec, c: CriterionSpec): string {
  const ms = withinMs(c.text);
  const timed =
    ms === undefined ? '' : `\n  assert.ok(Date.now() - started < ${ms}, 'answered within ${ms} ms');`;
  switch (c.kind) {
    case 'create':
      return `  const started = Date.now();
  const created = await client(target.baseUrl, uniqueUser('author')).post(PATH, sample('${c.testId}'));
  assert.equal(created.status, 201);
  const seen = await client(target.baseUrl, uniqueUser('reader')).get(PATH + '/' + created.body.id);
  assert.equal(seen.status, 200);
  assert.deepEqual(seen.body, created.body);${timed}`;
    case 'search':
      return `  const api = client(target.baseUrl, uniqueUser('searcher'));
  const token = uniqueUser('${c.testId}');
  const older = await api.post(PATH, sample(token + ' older'));
  const newer = await api.post(PATH, sample(token + ' newer'));
  const started = Date.now();
  const found = await api.get(PATH + '?q=' + encodeURIComponent(token));
  assert.equal(found.status, 200);
  assert.deepEqual(found.body.items.map((r) => r.id), [newer.body.id, older.body.id]);${timed}`;
    case 'invalid': {
      const bad = invalidCase(resource);
      return `  const user = uniqueUser('author');
  const api = client(target.baseUrl, user);
  const res = await api.post(PATH, { ...sample('${c.testId}'), ${bad.field}: ${JSON.stringify(bad.value)} });
  assert.equal(res.status, 400);
  assert.equal(res.body.fields.${bad.field}, ${JSON.stringify(bad.reason)});
  const saved = await api.get(PATH + '?owner=' + encodeURIComponent(user));
  assert.deepEqual(saved.body.items, []);`;
    }
    case 'forbidden':
      return `  const owner = client(target.baseUrl, uniqueUser('owner'));
  const created = await owner.post(PATH, sample('${c.testId}'));
  const intruder = uniqueUser('intruder');
  const other = client(target.baseUrl, intruder);
  const changed = await other.patch(PATH + '/' + created.body.id, { [LABEL]: 'taken over', version: 1 });
  assert.equal(changed.status, 403);
  assert.equal((await other.delete(PATH + '/' + created.body.id)).status, 403);
  assert.deepEqual((await owner.get(PATH + '/' + created.body.id)).body, created.body);
  const audit = await other.get('/api/v1/audit');
  const logged = audit.body.entries.filter((e) => e.user === intruder && e.recordId === created.body.id);
  assert.deepEqual(logged.map((e) => e.action).sort(), ['delete', 'update']);`;
    case 'conflict':
      return `  const user = uniqueUser('editor');
  const firstTab = client(target.baseUrl, user);
  const secondTab = client(target.baseUrl, user);
  const created = await firstTab.post(PATH, sample('${c.testId}'));
  const newer = await firstTab.patch(PATH + '/' + created.body.id, { [LABEL]: 'newer', version: 1 });
  assert.equal(newer.status, 200);
  const stale = await secondTab.patch(PATH + '/' + created.body.id, { [LABEL]: 'stale', version: 1 });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.current.version, 2);
  assert.equal(stale.body.current[LABEL], 'newer');
  assert.equal((await secondTab.get(PATH + '/' + created.body.id)).body[LABEL], 'newer');`;
    case 'unknown':
      return '';
  }
}

export function acceptanceTestName(story: StorySpec, c: CriterionSpec): string {
  return `${c.testId} [${story.id}] ${c.text}`;
}

export function acceptanceTestJs(spec: AppSpec, resource: ResourceSpec): string {
  const tests = storiesOfResource(spec, resource).flatMap((story) =>
    story.criteria.map((c) => {
      const name = JSON.stringify(acceptanceTestName(story, c));
      // Not implemented must show as such in the report, never as a pass.
      if (c.kind === 'unknown') return `test.todo(${name});`;
      return `test(${name}, async () => {\n${acceptanceBody(resource, c)}\n});`;
    }),
  );
  return `${HEADER}

${resourceHeader(resource)}

let target;
before(async () => {
  target = await startTarget();
});
after(() => target.stop());

${tests.join('\n\n')}
`;
}
