// Shared by the tool drivers, which run under the pinned Node inside the sandbox.
import { spawn } from 'node:child_process';
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
