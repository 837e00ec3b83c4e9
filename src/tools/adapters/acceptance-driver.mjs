// Runs inside one sandboxed invocation: starts the app on a free port (a service), waits for
// `GET /healthz`, runs the acceptance tests against it over HTTP, stops the app.
// argv: <scratch dir> <json: { kind, start: [file, ...args], healthTimeoutMs, patterns }>
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeTestArgs, run } from './driver-support.mjs';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const APP_OUTPUT_BYTES = 16 * 1024;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function healthy(baseUrl) {
  try {
    const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

function startApp(port) {
  const dataDir = join(scratch, 'app-data');
  mkdirSync(dataDir, { recursive: true });
  const app = spawn(process.execPath, spec.start, {
    env: { ...process.env, PORT: String(port), DATA_FILE: join(dataDir, 'data.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { app, output: '', exited: undefined };
  const keep = (chunk) => {
    if (state.output.length < APP_OUTPUT_BYTES) state.output += chunk.toString('utf8');
  };
  app.stdout.on('data', keep);
  app.stderr.on('data', keep);
  app.on('error', (error) => keep(`${String(error)}\n`));
  app.on('exit', (code, signal) => {
    state.exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  return state;
}

async function waitHealthy(state, baseUrl) {
  const deadline = Date.now() + spec.healthTimeoutMs;
  while (Date.now() < deadline) {
    if (state.exited !== undefined) return `the app exited (${state.exited}) before it answered GET /healthz`;
    if (await healthy(baseUrl)) return undefined;
    await sleep(100);
  }
  return `GET /healthz did not answer 200 within ${spec.healthTimeoutMs} ms`;
}

async function stopApp(state) {
  if (state.exited !== undefined) return;
  const exited = new Promise((resolve) => state.app.once('exit', resolve));
  state.app.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!graceful) state.app.kill('SIGKILL');
}

const eventsFile = join(scratch, 'events.jsonl');
const meta = { baseUrl: null, startError: undefined };
let exitCode;
if (spec.kind === 'service') {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  meta.baseUrl = baseUrl;
  const state = startApp(port);
  const problem = await waitHealthy(state, baseUrl);
  if (problem) {
    await stopApp(state);
    meta.startError = `${problem}\n${state.output}`.trim();
    // Node's name filters drop tests without reporting them, so there is no way to list tests
    // without running them: run them against the stopped app (they fail fast, connection refused) to
    // learn their names; the report counts every one as failed whatever its body did.
    await run(
      process.execPath,
      nodeTestArgs(eventsFile, {
        flags: [...(spec.flags ?? []), '--test-timeout=5000'],
        patterns: spec.patterns,
      }),
      {
        env: { ...process.env, BASE_URL: baseUrl },
      },
    );
    exitCode = 1;
  } else {
    exitCode = await run(
      process.execPath,
      nodeTestArgs(eventsFile, { flags: spec.flags ?? [], patterns: spec.patterns }),
      {
        env: { ...process.env, BASE_URL: baseUrl },
      },
    );
    await stopApp(state);
  }
} else {
  exitCode = await run(
    process.execPath,
    nodeTestArgs(eventsFile, { flags: spec.flags ?? [], patterns: spec.patterns }),
    {},
  );
}
writeFileSync(
  join(scratch, 'acceptance.json'),
  JSON.stringify({
    ...meta,
    command: ['node', ...nodeTestArgs(eventsFile, { flags: [], patterns: spec.patterns })],
  }),
);
// Exit now: fetch keeps idle keep-alive sockets (and their timers) for seconds after the app is gone.
process.exit(exitCode);
