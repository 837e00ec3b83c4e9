import type { AppSpec, FieldSpec, ResourceSpec } from '../spec.ts';

/** Generated modules both kinds share: input validation and the node:sqlite store. */

export function validateJs(spec: AppSpec): string {
  const fromText =
    spec.kind === 'cli'
      ? `
/** Command-line values arrive as text: convert them to the field's type before validating. */
export function fromText(field, text) {
  if (field.type === 'number') return text.trim() === '' ? text : Number(text);
  if (field.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}
`
      : '';
  return `// Every problem is reported against its field, so a client can show it next to the input.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\\d{4}-\\d{2}-\\d{2}$/;
const TIMESTAMP = /^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}/;
export const TEXT_MAX_CHARS = 2000;

const CHECKS = {
  text: (v) => {
    if (typeof v !== 'string') return 'must be text';
    if (v.trim() === '') return 'must not be blank';
    return v.length > TEXT_MAX_CHARS ? 'must be at most ' + TEXT_MAX_CHARS + ' characters' : undefined;
  },
  number: (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number'),
  boolean: (v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  date: (v) =>
    typeof v === 'string' && DATE.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'must be a date (YYYY-MM-DD)',
  timestamp: (v) =>
    typeof v === 'string' && TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v))
      ? undefined
      : 'must be an ISO 8601 date and time',
  uuid: (v) => (typeof v === 'string' && UUID.test(v) ? undefined : 'must be a UUID'),
};

/**
 * \`create\` needs every required field; \`update\` checks only what is sent and needs the version the
 * client last read (optimistic concurrency). Returns \`{ ok: true, values }\` or \`{ ok: false, fields }\`.
 */
export function validate(fields, input, mode) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { ok: false, fields: { body: 'must be a JSON object' } };
  }
  const problems = {};
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(input)) {
    if (!known.has(key) && !(mode === 'update' && key === 'version')) problems[key] = 'is not a known field';
  }
  const values = {};
  for (const field of fields) {
    const value = input[field.name];
    if (value === undefined || value === null) {
      if (field.required && (mode === 'create' || value === null)) problems[field.name] = 'is required';
      else if (value === null) values[field.name] = null;
      continue;
    }
    const problem = CHECKS[field.type](value);
    if (problem) problems[field.name] = problem;
    else values[field.name] = value;
  }
  if (mode === 'update' && !Number.isInteger(input.version)) {
    problems.version = 'is required: the version you last read';
  }
  return Object.keys(problems).length > 0 ? { ok: false, fields: problems } : { ok: true, values };
}
${fromText}`;
}

const SQL_TYPE: Record<FieldSpec['type'], string> = {
  text: 'TEXT',
  number: 'REAL',
  boolean: 'INTEGER',
  date: 'TEXT',
  timestamp: 'TEXT',
  uuid: 'TEXT',
};

export function tableName(resource: ResourceSpec): string {
  return resource.plural.replace(/-/g, '_');
}

/** The DDL is generated, not computed at run time, so the schema is reviewable in the tree. */
function createTable(resource: ResourceSpec): string {
  const columns = [
    'seq INTEGER PRIMARY KEY AUTOINCREMENT',
    'id TEXT NOT NULL UNIQUE',
    'owner TEXT NOT NULL',
    'version INTEGER NOT NULL',
    'created_at TEXT NOT NULL',
    'updated_at TEXT NOT NULL',
    ...resource.fields.map((f) => `"${f.name}" ${SQL_TYPE[f.type]}`),
  ];
  return `CREATE TABLE IF NOT EXISTS ${tableName(resource)} (\n    ${columns.join(',\n    ')}\n  );`;
}

export function storeJs(spec: AppSpec): string {
  const ddl = spec.resources.map((r) => `  \`${createTable(r)}\`,`).join('\n');
  return `import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

// Records are ordered by \`seq\`, not by timestamp: two records created in the same millisecond
// must still list newest first.
const SCHEMA = [
  \`CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    record_id TEXT NOT NULL,
    outcome TEXT NOT NULL
  );\`,
${ddl}
];
const LIST_LIMIT = 200;

function toRecord(resource, row) {
  const record = { id: row.id, owner: row.owner, version: row.version, createdAt: row.created_at, updatedAt: row.updated_at };
  for (const field of resource.fields) {
    const value = row[field.name];
    record[field.name] = field.type === 'boolean' && value !== null ? value === 1 : value;
  }
  return record;
}

function toColumn(field, value) {
  return field.type === 'boolean' && value !== null ? (value ? 1 : 0) : value;
}

/** The system of record. Ownership and versions are enforced here, for every caller. */
export function openStore(file, resources) {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  for (const statement of SCHEMA) db.exec(statement);
  const now = () => new Date().toISOString();

  function row(resource, id) {
    return db.prepare('SELECT * FROM ' + resource.table + ' WHERE id = ?').get(id);
  }

  function refuse(resource, user, action, id) {
    db.prepare(
      'INSERT INTO audit_log (at, user, action, resource, record_id, outcome) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(now(), user, action, resource.plural, id, 'forbidden');
    return { status: 'forbidden' };
  }

  return {
    create(resource, user, values) {
      const at = now();
      const names = resource.fields.map((f) => f.name).filter((n) => values[n] !== undefined);
      const columns = ['id', 'owner', 'version', 'created_at', 'updated_at', ...names.map((n) => '"' + n + '"')];
      const id = randomUUID();
      db.prepare(
        'INSERT INTO ' + resource.table + ' (' + columns.join(', ') + ') VALUES (' + columns.map(() => '?').join(', ') + ')',
      ).run(id, user, 1, at, at, ...names.map((n) => toColumn(resource.fields.find((f) => f.name === n), values[n])));
      return toRecord(resource, row(resource, id));
    },
    list(resource, { q = '', owner = '' } = {}) {
      const where = [];
      const params = [];
      if (q !== '') {
        // '!' escapes LIKE wildcards, so a search for "50%" means the text "50%".
        const pattern = '%' + q.replace(/[!%_]/g, (c) => '!' + c) + '%';
        where.push('(' + resource.fields.map((f) => 'CAST("' + f.name + '" AS TEXT) LIKE ? ESCAPE ' + "'!'").join(' OR ') + ')');
        params.push(...resource.fields.map(() => pattern));
      }
      if (owner !== '') {
        where.push('owner = ?');
        params.push(owner);
      }
      const sql =
        'SELECT * FROM ' + resource.table + (where.length > 0 ? ' WHERE ' + where.join(' AND ') : '') + ' ORDER BY seq DESC LIMIT ' + LIST_LIMIT;
      return db.prepare(sql).all(...params).map((r) => toRecord(resource, r));
    },
    get(resource, id) {
      const found = row(resource, id);
      return found ? toRecord(resource, found) : undefined;
    },
    update(resource, user, id, version, values) {
      const current = row(resource, id);
      if (!current) return { status: 'not-found' };
      if (current.owner !== user) return refuse(resource, user, 'update', id);
      const names = resource.fields.map((f) => f.name).filter((n) => values[n] !== undefined);
      const sets = ['version = version + 1', 'updated_at = ?', ...names.map((n) => '"' + n + '" = ?')];
      const result = db
        .prepare('UPDATE ' + resource.table + ' SET ' + sets.join(', ') + ' WHERE id = ? AND version = ?')
        .run(now(), ...names.map((n) => toColumn(resource.fields.find((f) => f.name === n), values[n])), id, version);
      // The version check and the write are one statement: a concurrent save cannot slip in between.
      if (result.changes === 0) return { status: 'conflict', current: toRecord(resource, row(resource, id)) };
      return { status: 'ok', record: toRecord(resource, row(resource, id)) };
    },
    remove(resource, user, id) {
      const current = row(resource, id);
      if (!current) return { status: 'not-found' };
      if (current.owner !== user) return refuse(resource, user, 'delete', id);
      db.prepare('DELETE FROM ' + resource.table + ' WHERE id = ?').run(id);
      return { status: 'ok' };
    },
    audit() {
      return db
        .prepare('SELECT at, user, action, resource, record_id AS recordId, outcome FROM audit_log ORDER BY seq DESC LIMIT ' + LIST_LIMIT)
        .all()
        .map((entry) => ({ ...entry }));
    },
    close() {
      db.close();
    },
  };
}
`;
}

/** The resource definition every generated resource module starts with. */
export function resourceDefinition(resource: ResourceSpec): string {
  const fields = resource.fields
    .map((f) => `    { name: '${f.name}', type: '${f.type}', required: ${f.required} },`)
    .join('\n');
  return `export const resource = {
  name: '${resource.name}',
  plural: '${resource.plural}',
  table: '${tableName(resource)}',
  path: '${resource.path}',
  fields: [
${fields}
  ],
};`;
}
