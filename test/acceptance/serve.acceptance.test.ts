import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { RunSchema } from '../../src/api/schemas.ts';
import { runCli, spawnCli, waitForJsonLine } from '../support/cli.ts';
import { dropSchema, POSTGRES_URL, postgresReachable, uniqueSchema } from '../support/services.ts';
import { openSse } from '../support/sse-client.ts';

/**
 * `ideamine serve` as a user runs it: tokens made with `ideamine token`, the server on a real port,
 * a run created over HTTP and driven to the end by that one process, SIGTERM closing it cleanly.
 */

async function startServe(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawnCli(['serve', '--port', '0'], env);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const started = await waitForJsonLine(child, (l) => l['event'] === 'serve.started', 60_000);
  return { child, url: started['url'] as string, stderr: () => stderr };
}

async function createToken(
  env: Record<string, string>,
  scope: string,
): Promise<{ id: string; token: string }> {
  const made = await runCli(['token', 'create', '--scope', scope, '--json'], env);
  expect(made.code, made.stderr).toBe(0);
  return JSON.parse(made.stdout) as { id: string; token: string };
}

describe.runIf(postgresReachable)('ideamine serve on Postgres', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-serve-'));
  const schema = uniqueSchema('serve');
  const env = { DATABASE_URL: POSTGRES_URL, IDEAMINE_PG_SCHEMA: schema, IDEAMINE_HOME: home };
  afterAll(async () => {
    await dropSchema(schema);
    rmSync(home, { recursive: true, force: true });
  });

  test('tokens, 401/403, a run created over HTTP completes with serve as the only process, SIGTERM', async () => {
    const reader = await createToken(env, 'runs:read');
    const writer = await createToken(env, 'runs:read,runs:write');
    expect(reader.token).toMatch(/^im_/);
    const listed = await runCli(['token', 'list', '--json'], env);
    expect(listed.stdout).toContain(reader.id);
    expect(listed.stdout).not.toContain(reader.token);
    expect(listed.stdout).not.toContain(writer.token);

    const { child, url, stderr } = await startServe(env);
    try {
      const call = (path: string, token?: string, body?: unknown) =>
        fetch(`${url}${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const idea = { description: 'A shared todo app for small teams' };
      expect((await call('/api/runs')).status).toBe(401);
      expect((await call('/api/runs', reader.token)).status).toBe(200);
      expect((await call('/api/runs', reader.token, idea)).status).toBe(403);

      const created = await call('/api/runs', writer.token, idea);
      expect(created.status).toBe(201);
      const run = RunSchema.parse(await created.json());
      const sse = await openSse(`${url}/api/events?runId=${run.id}`, {
        authorization: `Bearer ${reader.token}`,
      });
      const ended = (m: { data: string }) => /"type":"run\.(completed|failed|cancelled)"/.test(m.data);
      await sse.until((messages) => messages.some(ended), 300_000);
      sse.close();
      const seqs = sse.messages.map((m) => Number(m.id));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      const done = RunSchema.parse(await (await call(`/api/runs/${run.id}`, reader.token)).json());
      expect(done.status).toBe('succeeded');
      // The dossier is compiled just after the run's outcome is stored: it shows up, late rather than never.
      await vi.waitFor(
        async () => expect((await call(`/api/runs/${run.id}/dossier`, reader.token)).status).toBe(200),
        { timeout: 60_000, interval: 250 },
      );

      const revoked = await runCli(['token', 'revoke', reader.id], env);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect((await call('/api/runs', reader.token)).status).toBe(401);

      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      for (const secret of [reader.token, writer.token]) expect(stderr()).not.toContain(secret);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 420_000);
});

describe('ideamine serve on the embedded database', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-serve-embedded-'));
  const env = { IDEAMINE_HOME: home };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  test('while serve owns the data dir, `token create` goes through it and the token works at once', async () => {
    const { child, url } = await startServe(env);
    try {
      const { token } = await createToken(env, 'runs:read');
      expect((await fetch(`${url}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
        200,
      );
      const bad = await runCli(['token', 'create', '--scope', 'runs:nope'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('unknown scope "runs:nope"');
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
