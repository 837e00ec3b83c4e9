// Shared by the tool drivers, which run under the pinned Node inside the sandbox.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPORTER = fileURLToPath(new URL('./node-test-reporter.mjs', import.meta.url));

/** `node --test` with the JSON-lines reporter to a file and the spec reporter to stdout for people. */
export function nodeTestArgs(eventsFile, extra) {
  return [
    '--test',
    ...extra.flags,
    `--test-reporter=${REPORTER}`,
    `--test-reporter-destination=${eventsFile}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    ...extra.patterns,
  ];
}

export function run(command, args, options) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
    child.on('error', (error) => {
      process.stderr.write(`${String(error)}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

// --- A generated service: start it on a free port, wait for GET /healthz, stop it. ---

const APP_OUTPUT_BYTES = 16 * 1024;

export function freePort() {
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

/**
 * Starts `node <start...>` with `PORT` and `DATA_FILE` (under `<scratch>/app-data`), keeping the first
 * KBs of its output for the report. Returns the state `waitHealthy` and `stopApp` take.
 */
export function startApp({ start, port, scratch }) {
  const dataDir = join(scratch, 'app-data');
  mkdirSync(dataDir, { recursive: true });
  const app = spawn(process.execPath, start, {
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

/** Undefined once `GET /healthz` answers 200, else why not (the app exited, or the deadline passed). */
export async function waitHealthy(state, baseUrl, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (state.exited !== undefined) return `the app exited (${state.exited}) before it answered GET /healthz`;
    if (await healthy(baseUrl)) return undefined;
    await sleep(100);
  }
  return `GET /healthz did not answer 200 within ${timeoutMs} ms`;
}

/** SIGTERM, then SIGKILL after 5 s. */
export async function stopApp(state) {
  if (state.exited !== undefined) return;
  const exited = new Promise((resolve) => state.app.once('exit', resolve));
  state.app.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!graceful) state.app.kill('SIGKILL');
}
