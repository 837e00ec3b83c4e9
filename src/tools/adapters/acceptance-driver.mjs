// Runs inside one sandboxed invocation: starts the app on a free port (a service), waits for
// `GET /healthz`, runs the acceptance tests against it over HTTP, stops the app.
// argv: <scratch dir> <json: { kind, start: [file, ...args], healthTimeoutMs, patterns }>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, nodeTestArgs, run, startApp, stopApp, waitHealthy } from './driver-support.mjs';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);

const eventsFile = join(scratch, 'events.jsonl');
const meta = { baseUrl: null, startError: undefined };
let exitCode;
if (spec.kind === 'service') {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  meta.baseUrl = baseUrl;
  const state = startApp({ start: spec.start, port, scratch });
  const problem = await waitHealthy(state, baseUrl, spec.healthTimeoutMs);
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
