// Runs inside one sandboxed invocation: starts the app on a free port, waits for `GET /healthz`, runs
// autocannon against each path in turn for the duration, stops the app, writes `load-test.json`.
// argv: <scratch dir> <json: { kind, start, healthTimeoutMs, durationSeconds, connections, targets }>
//   targets: [{ path, headers }]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, startApp, stopApp, waitHealthy } from './driver-support.mjs';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const resultFile = join(scratch, 'load-test.json');

/** One path for the duration; the raw result keeps its histograms so that runs can be merged. */
function hammer(baseUrl, target) {
  return autocannon({
    url: `${baseUrl}${target.path}`,
    method: 'GET',
    headers: target.headers ?? {},
    connections: spec.connections,
    duration: spec.durationSeconds,
    skipAggregateResult: true,
  });
}

async function loadTest() {
  if (spec.kind !== 'service') {
    return {
      targets: spec.targets,
      baseUrl: null,
      startError: `not a service (package.json ideamine.kind is "${spec.kind}")`,
    };
  }
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const state = startApp({ start: spec.start, port, scratch });
  try {
    const problem = await waitHealthy(state, baseUrl, spec.healthTimeoutMs);
    if (problem) return { targets: spec.targets, baseUrl, startError: `${problem}\n${state.output}`.trim() };
    const raws = [];
    for (const target of spec.targets) raws.push(await hammer(baseUrl, target));
    const opts = { url: baseUrl, connections: spec.connections };
    // aggregateResult adds into the first result's statusCodeStats: give it copies, keep the raws intact.
    const aggregate = (results) => autocannon.aggregateResult(structuredClone(results), opts);
    return {
      targets: spec.targets,
      baseUrl,
      runs: spec.targets.map((target, i) => ({
        path: target.path,
        result: aggregate([raws[i]]),
      })),
      overall: raws.length > 0 ? aggregate(raws) : null,
    };
  } finally {
    await stopApp(state);
  }
}

let exitCode = 0;
try {
  writeFileSync(resultFile, JSON.stringify(await loadTest()));
} catch (error) {
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  writeFileSync(resultFile, JSON.stringify({ error: String(error?.message ?? error) }));
  exitCode = 1;
}
// Exit now: idle keep-alive sockets (and their timers) would keep the process alive for seconds.
process.exit(exitCode);
