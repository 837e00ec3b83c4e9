// Runs inside one sandboxed invocation that keeps the network (the registry answers the audit; the
// workspace is read-only): copies the workspace's manifest and lock file into the scratch dir
// (resolving a lock file there when there is none), runs `npm audit --json` on the copy with the
// pinned npm, and writes `dependency-audit.json`: npm's report, or why the audit could not run.
// argv: <scratch dir> <json: { workspace, npmCli }>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { npm, npmError, prepareProject } from './npm-project.mjs';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const resultFile = join(scratch, 'dependency-audit.json');

async function audit() {
  const project = await prepareProject({ workspace: spec.workspace, scratch, npmCli: spec.npmCli });
  if (project.error) {
    return {
      notRun: { step: 'resolving the dependency tree (npm install --package-lock-only)', ...project.error },
    };
  }
  const run = await npm(spec.npmCli, ['audit', '--json'], project.dir);
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    throw new Error(
      `npm audit printed no JSON (exit code ${run.code}${run.signal ? `, signal ${run.signal}` : ''}${run.truncated ? ', output too large' : ''}): ${run.stderr.trim().slice(-4000)}`,
    );
  }
  // npm audit exits 1 when it finds advisories: the JSON, not the exit code, says what happened.
  if (report?.auditReportVersion !== undefined) {
    return { lockFile: project.lockFile, lockGenerated: project.generated, report };
  }
  const error = npmError(run.stdout);
  if (error !== undefined) return { notRun: { step: 'npm audit', ...error } };
  throw new Error(`npm audit printed JSON that is neither a report nor an error (exit code ${run.code})`);
}

let exitCode = 0;
try {
  writeFileSync(resultFile, JSON.stringify(await audit()));
} catch (error) {
  process.stderr.write(`${String(error?.message ?? error)}\n`);
  writeFileSync(resultFile, JSON.stringify({ error: String(error?.message ?? error) }));
  exitCode = 1;
}
process.exit(exitCode);
