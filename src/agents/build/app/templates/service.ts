import { storiesOfResource } from '../layout.ts';
import type { AppSpec, Operation, ResourceSpec } from '../spec.ts';
import { resourceDefinition } from './runtime.ts';

/** The generated HTTP service: routing and body handling, the app factory, the entry point, resources. */

export const BODY_LIMIT_BYTES = 64 * 1024;

export function httpJs(): string {
  return `// Request plumbing shared by every route: body limits, JSON parsing, routing, responses.
export const BODY_LIMIT_BYTES = ${BODY_LIMIT_BYTES};

export class HttpError extends Error {
  constructor(status, body) {
    super(body.error);
    this.status = status;
    this.body = body;
  }
}

export function invalid(fields) {
  return { status: 400, body: { error: 'invalid input: ' + Object.keys(fields).join(', '), fields } };
}

export function notFound(what) {
  return { status: 404, body: { error: what + ' not found' } };
}

export function forbidden() {
  return { status: 403, body: { error: 'only the owner may change this record; the attempt was logged' } };
}

/** An empty body reads as {}: validation then names every required field. */
export async function readJson(req) {
  const tooLarge = new HttpError(413, { error: 'request body exceeds ' + BODY_LIMIT_BYTES + ' bytes' });
  if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT_BYTES) throw tooLarge;
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) throw tooLarge;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, { error: 'request body is not valid JSON' });
  }
}

export function sendJson(res, status, body, headers = {}) {
  if (status === 204) {
    res.writeHead(204, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(text);
}

/** Matches \`/api/v1/lists/:id\` style paths; reports the allowed methods when only the method is wrong. */
export function matchRoute(routes, method, pathname) {
  const allowed = [];
  for (const route of routes) {
    const names = [];
    const pattern = new RegExp('^' + route.path.replace(/:([a-z]+)/g, (_, name) => (names.push(name), '([^/]+)')) + '$');
    const m = pattern.exec(pathname);
    if (!m) continue;
    if (route.method !== method) {
      allowed.push(route.method);
      continue;
    }
    const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(m[i + 1])]));
    return { route, params };
  }
  return allowed.length > 0 ? { allowed } : undefined;
}
`;
}

function importName(resource: ResourceSpec): string {
  return resource.plural.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function appJs(spec: AppSpec): string {
  const imports = spec.resources
    .map((r) => `import * as ${importName(r)} from './resources/${r.plural}.js';`)
    .join('\n');
  const modules = spec.resources.map(importName).join(', ');
  return `import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { HttpError, matchRoute, readJson, sendJson } from './http.js';
import { openStore } from './store.js';
${imports}

const MODULES = [${modules}];
export const resources = MODULES.map((m) => m.resource);

const PUBLIC_DIR = new URL('../public/', import.meta.url);
// A fixed map, not a directory listing: no request path ever reaches the file system.
const PUBLIC_FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

/** The service as a value: tests start it in-process on an ephemeral port, \`server.js\` on PORT. */
export function createApp({ dataFile = ':memory:' } = {}) {
  const store = openStore(dataFile, resources);
  const routes = [
    { method: 'GET', path: '/healthz', auth: false, handle: () => ({ status: 200, body: { ok: true } }) },
    { method: 'GET', path: '/api/v1/audit', auth: true, handle: () => ({ status: 200, body: { entries: store.audit() } }) },
    ...MODULES.flatMap((m) => m.routes(store)),
  ];

  async function handle(req, res) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = PUBLIC_FILES[url.pathname];
    if (req.method === 'GET' && file) {
      const content = await readFile(new URL(file[0], PUBLIC_DIR));
      res.writeHead(200, { 'content-type': file[1] }).end(content);
      return;
    }
    const match = matchRoute(routes, req.method, url.pathname);
    if (!match) return sendJson(res, 404, { error: 'no route for ' + req.method + ' ' + url.pathname });
    if (match.allowed) {
      return sendJson(res, 405, { error: 'method not allowed' }, { allow: match.allowed.join(', ') });
    }
    const user = String(req.headers['x-user'] ?? '').trim();
    if (match.route.auth && user === '') {
      return sendJson(res, 401, { error: 'missing X-User header: say who you are' });
    }
    const body = req.method === 'POST' || req.method === 'PATCH' ? await readJson(req) : undefined;
    const result = match.route.handle({ params: match.params, query: url.searchParams, body, user });
    sendJson(res, result.status, result.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (error instanceof HttpError) {
        // The rest of an oversized body is not worth reading: close the connection after replying.
        sendJson(res, error.status, error.body, error.status === 413 ? { connection: 'close' } : {});
        return;
      }
      console.error(error);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    });
  });

  function close() {
    return new Promise((resolve) => {
      server.close(() => {
        store.close();
        resolve();
      });
      server.closeAllConnections();
    });
  }

  return { server, store, close };
}
`;
}

export function serverJs(): string {
  return `import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const dataFile = process.env.DATA_FILE ?? 'data/app.db';
const app = createApp({ dataFile });

app.server.listen(port, '127.0.0.1', () => {
  console.log('listening on http://127.0.0.1:' + app.server.address().port);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
`;
}

function storiesFor(spec: AppSpec, resource: ResourceSpec, operation: Operation): string {
  const ids = storiesOfResource(spec, resource)
    .filter((s) => s.operations.includes(operation))
    .map((s) => `'${s.id}'`);
  return `[${ids.join(', ')}]`;
}

/** A resource's routes; each lists the stories whose criteria exercise it (traceability). */
export function serviceResourceJs(spec: AppSpec, resource: ResourceSpec): string {
  const s = (op: Operation) => storiesFor(spec, resource, op);
  return `import { forbidden, invalid, notFound } from '../http.js';
import { validate } from '../validate.js';

${resourceDefinition(resource)}

const NOUN = '${resource.name}';

export function routes(store) {
  const one = resource.path + '/:id';
  return [
    {
      method: 'POST',
      path: resource.path,
      auth: true,
      stories: ${s('create')},
      handle: ({ body, user }) => {
        const input = validate(resource.fields, body, 'create');
        if (!input.ok) return invalid(input.fields);
        return { status: 201, body: store.create(resource, user, input.values) };
      },
    },
    {
      method: 'GET',
      path: resource.path,
      auth: true,
      stories: ${s('list')},
      handle: ({ query }) => ({
        status: 200,
        body: { items: store.list(resource, { q: query.get('q') ?? '', owner: query.get('owner') ?? '' }) },
      }),
    },
    {
      method: 'GET',
      path: one,
      auth: true,
      stories: ${s('get')},
      handle: ({ params }) => {
        const record = store.get(resource, params.id);
        return record ? { status: 200, body: record } : notFound(NOUN);
      },
    },
    {
      method: 'PATCH',
      path: one,
      auth: true,
      stories: ${s('update')},
      handle: ({ params, body, user }) => {
        const input = validate(resource.fields, body, 'update');
        if (!input.ok) return invalid(input.fields);
        const result = store.update(resource, user, params.id, body.version, input.values);
        if (result.status === 'not-found') return notFound(NOUN);
        if (result.status === 'forbidden') return forbidden();
        if (result.status === 'conflict') {
          return { status: 409, body: { error: 'version conflict: reload and retry', current: result.current } };
        }
        return { status: 200, body: result.record };
      },
    },
    {
      method: 'DELETE',
      path: one,
      auth: true,
      stories: ${s('delete')},
      handle: ({ params, user }) => {
        const result = store.remove(resource, user, params.id);
        if (result.status === 'not-found') return notFound(NOUN);
        if (result.status === 'forbidden') return forbidden();
        return { status: 204 };
      },
    },
  ];
}
`;
}
