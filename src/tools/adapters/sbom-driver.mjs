// Runs inside one sandboxed invocation (no network; the workspace read-only): copies the workspace's
// manifest and lock file into the scratch dir (resolving a lock file there, offline, when there is
// none), runs cyclonedx-npm on the copy with the pinned npm, and writes `sbom.json` (the outcome) and
// `bom.json` (the CycloneDX document).
// argv: <scratch dir> <json: { workspace, npmCli, cyclonedxCli, specVersion }>
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareProject, runCaptured } from './npm-project.mjs';

const [scratch, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const resultFile = join(scratch, 'sbom.json');
const bomFile = join(scratch, 'bom.json');

async function sbom() {
  const project = await prepareProject({ workspace: spec.workspace, scratch, npmCli: spec.npmCli });
  if (project.error) {
    throw new Error(
      `the workspace has no lock file and npm could not resolve its dependency tree offline (${project.error.code}): ${project.error.summary}`,
    );
  }
  const run = await runCaptured(
    process.execPath,
    [
      spec.cyclonedxCli,
      // The tree npm ls reads from the lock file: the copy has no node_modules.
      '--package-lock-only',
      '--output-format',
      'JSON',
      '--spec-version',
      spec.specVersion,
      '--output-file',
      bomFile,
      '--',
      'package.json',
    ],
    // cyclonedx-npm runs the npm named by npm_execpath, on this Node.
    { cwd: project.dir, env: { ...process.env, npm_execpath: spec.npmCli } },
  );
  if (run.code !== 0) {
    throw new Error(
      `cyclonedx-npm failed (exit code ${run.code}${run.signal ? `, signal ${run.signal}` : ''}): ${run.stderr.trim().slice(-4000)}`,
    );
  }
  return { bomFile, lockFile: project.lockFile, lockGenerated: project.generated };
}

let exitCode = 0;
try {
  writeFileSync(resultFile, JSON.stringify(await sbom()));
} catch (error) {
  process.stderr.write(`${String(error?.message ?? error)}\n`);
  writeFileSync(resultFile, JSON.stringify({ error: String(error?.message ?? error) }));
  exitCode = 1;
}
process.exit(exitCode);
