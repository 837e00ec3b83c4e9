import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ToolFailedError } from '../errors.ts';
import { runTool } from '../runner.ts';
import { probeSandbox, sandboxArgs } from '../sandbox.ts';
import { advisoriesOf, type DependencyAuditInput, dependencyAudit } from './dependency-audit.ts';
import { collectingRecorder, writeProject } from './fixtures.test-support.ts';

/**
 * Real npm audits. The registry these machines reach is a read-only mirror: it serves packages (so
 * npm resolves a lock file through it) but answers the audit endpoint with 405, so the audit of the
 * real registry is `not-run` here, with that reason; where the endpoint answers it is `ran`, and the
 * test checks the advisories. The `ran` path is also checked against a registry of our own that
 * answers the audit endpoint with the real GitHub advisories of lodash 4.17.20 and minimist 0.0.8.
 */

const sandbox = await probeSandbox();
const sandboxed = sandbox.kind === 'bwrap' || process.env['CI'] === 'true';
const TIMEOUT = 180_000;

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

const VULNERABLE_PACKAGE = JSON.stringify({
  name: 'vulnerable-app',
  version: '1.0.0',
  dependencies: { lodash: '4.17.20', minimist: '0.0.8' },
});

/** What `npm install --package-lock-only` writes for VULNERABLE_PACKAGE (integrity from the registry). */
const VULNERABLE_LOCK = JSON.stringify({
  name: 'vulnerable-app',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'vulnerable-app', version: '1.0.0', dependencies: { lodash: '4.17.20', minimist: '0.0.8' } },
    'node_modules/lodash': {
      version: '4.17.20',
      resolved: 'https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz',
      integrity:
        'sha512-PlhdFcillOINfeV7Ni6oF1TAEayyZBoZ8bcshTHqOYJYlrqzRK5hagpagky5o4HfCzzd1TRkXPMFq6cKk9rGmA==',
      license: 'MIT',
    },
    'node_modules/minimist': {
      version: '0.0.8',
      resolved: 'https://registry.npmjs.org/minimist/-/minimist-0.0.8.tgz',
      integrity:
        'sha512-miQKw5Hv4NS1Psg2517mV4e4dYNaO3++hjAvLOAzKqZ61rH8NS1SK+vbfBWZ5PY/Me/bEWhUwqMghEW5Fb9T7Q==',
      license: 'MIT',
    },
  },
});

async function audit(files: Record<string, string>, input: Partial<DependencyAuditInput> = {}) {
  const workspace = await writeProject(files);
  dirs.push(workspace);
  const recorder = collectingRecorder();
  const run = await runTool(dependencyAudit, input, { workspace, allowlist: ['dependency-audit'], recorder });
  if (sandboxed) expect(run.invocation.sandbox.kind).toBe('bwrap');
  expect(run.invocation.network).toBe(true);
  expect(recorder.invocations).toEqual([run.invocation]);
  return run.output;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A registry that answers only the bulk advisory endpoint, with the GitHub advisories (as the npm
 * registry serves them) of the packages asked about; 404 for anything else.
 */
async function auditEndpoint(): Promise<{ url: string; asked: unknown[] }> {
  const advisories: Record<string, unknown[]> = {
    lodash: [
      {
        id: 1106913,
        url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
        title: 'Command Injection in lodash',
        severity: 'high',
        vulnerable_versions: '<4.17.21',
        cwe: ['CWE-77', 'CWE-94'],
        cvss: { score: 7.2, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
      },
    ],
    minimist: [
      {
        id: 1096466,
        url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h',
        title: 'Prototype Pollution in minimist',
        severity: 'critical',
        vulnerable_versions: '<0.2.4',
        cwe: ['CWE-1321'],
        cvss: { score: 9.8, vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      },
    ],
  };
  const asked: unknown[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/-/npm/v1/security/advisories/bulk') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const packages = JSON.parse(body.toString('utf8')) as Record<string, string[]>;
      asked.push(packages);
      const answer = Object.fromEntries(Object.keys(packages).map((name) => [name, advisories[name] ?? []]));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, asked };
}

describe('dependency-audit', () => {
  it(
    'audits the real registry: the advisories of lodash 4.17.20 when its audit endpoint answers, else not-run with npm’s reason',
    async () => {
      // No lock file: npm resolves one through the registry first, which needs the network too.
      const report = await audit({ 'package.json': VULNERABLE_PACKAGE }, { commit: 'feed42' });
      expect(report.tool).toBe(`dependency-audit@${report.versions['npm']}`);
      expect(report.versions['npm']).toBe('11.19.1');
      expect(report.commit).toBe('feed42');
      if (report.status === 'ran') {
        expect(report.dependencies).toBe(2);
        expect(report.counts.high + report.counts.critical).toBeGreaterThanOrEqual(2);
        expect(report.advisories.map((a) => a.name)).toEqual(expect.arrayContaining(['lodash', 'minimist']));
      } else {
        console.info(`npm audit of the real registry did not run: ${report.reason}`);
        expect(report.reason).toMatch(
          /^npm audit failed \(E[A-Z0-9_]+\): .*\/-\/npm\/v1\/security\/advisories\/bulk/,
        );
        expect(report).toMatchObject({ dependencies: 0, advisories: [] });
      }
    },
    TIMEOUT,
  );

  it(
    'reads the advisories npm reports, by severity, from a registry whose audit endpoint answers',
    async () => {
      const registry = await auditEndpoint();
      const report = await audit(
        { 'package.json': VULNERABLE_PACKAGE, 'package-lock.json': VULNERABLE_LOCK },
        { registry: registry.url },
      );
      // npm asked our endpoint (through the sandbox, which kept the network) about the locked versions.
      expect(registry.asked).toEqual([{ lodash: ['4.17.20'], minimist: ['0.0.8'] }]);
      expect(report).toMatchObject({
        status: 'ran',
        dependencies: 2,
        counts: { critical: 1, high: 1, moderate: 0, low: 0, info: 0 },
      });
      expect(report.reason).toBeUndefined();
      expect(report.advisories).toEqual([
        {
          name: 'lodash',
          severity: 'high',
          title: 'Command Injection in lodash',
          url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm',
          range: '<4.17.21',
        },
        {
          name: 'minimist',
          severity: 'critical',
          title: 'Prototype Pollution in minimist',
          url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h',
          range: '<0.2.4',
        },
      ]);
    },
    TIMEOUT,
  );

  it(
    'says not-run, with ECONNREFUSED, when the registry does not answer; never "no advisories"',
    async () => {
      const port = await closedPort();
      const report = await audit(
        { 'package.json': VULNERABLE_PACKAGE, 'package-lock.json': VULNERABLE_LOCK },
        { registry: `http://127.0.0.1:${port}` },
      );
      expect(report.status).toBe('not-run');
      expect(report.reason).toMatch(
        new RegExp(
          `^npm audit failed \\(ECONNREFUSED\\): .*127\\.0\\.0\\.1:${port}/-/npm/v1/security/advisories/bulk`,
        ),
      );
      expect(report).toMatchObject({ dependencies: 0, advisories: [] });
    },
    TIMEOUT,
  );

  it(
    'says not-run when the tree cannot be resolved without the registry (no lock file)',
    async () => {
      const port = await closedPort();
      const report = await audit(
        { 'package.json': VULNERABLE_PACKAGE },
        { registry: `http://127.0.0.1:${port}/` },
      );
      expect(report.status).toBe('not-run');
      expect(report.reason).toMatch(/^resolving the dependency tree .* failed \(ECONNREFUSED\): /);
    },
    TIMEOUT,
  );

  it(
    'audits an app without dependencies without asking the registry: zero dependencies, zero advisories',
    async () => {
      const port = await closedPort();
      const report = await audit(
        { 'package.json': '{"name":"plain","version":"0.1.0","type":"module"}\n' },
        { registry: `http://127.0.0.1:${port}/` },
      );
      expect(report).toMatchObject({
        status: 'ran',
        dependencies: 0,
        counts: { critical: 0, high: 0, moderate: 0, low: 0, info: 0 },
        advisories: [],
      });
    },
    TIMEOUT,
  );

  it(
    'says not-run for a workspace without package.json, and fails on a timeout',
    async () => {
      const report = await audit({ 'README.md': '# no manifest\n' });
      expect(report).toMatchObject({ status: 'not-run', reason: expect.stringMatching(/no package\.json/) });
      const error = await audit({ 'package.json': VULNERABLE_PACKAGE }, { timeoutMs: 20 }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ToolFailedError);
      expect((error as Error).message).toMatch(/timed out/);
    },
    TIMEOUT,
  );

  it('keeps the network in the sandbox only when the plan asks for it', () => {
    const base = { writableDirs: ['/tmp/w'], cwd: '/tmp/w', tmpSizeMb: 64 };
    expect(sandboxArgs(base)).toContain('--unshare-net');
    expect(sandboxArgs({ ...base, network: true })).not.toContain('--unshare-net');
    expect(sandboxArgs({ ...base, network: true })).toContain('--unshare-pid');
  });

  it('lists a package vulnerable only through its dependencies with their names', () => {
    const advisories = advisoriesOf({
      auditReportVersion: 2,
      vulnerabilities: {
        wrapper: { name: 'wrapper', severity: 'high', via: ['lodash'], range: '1.0.0 - 1.2.0' },
        lodash: {
          name: 'lodash',
          severity: 'high',
          via: [
            {
              source: 1,
              name: 'lodash',
              title: 'Command Injection in lodash',
              severity: 'high',
              range: '<4.17.21',
            },
            {
              source: 1,
              name: 'lodash',
              title: 'Command Injection in lodash',
              severity: 'high',
              range: '<4.17.21',
            },
          ],
        },
      },
      metadata: {
        vulnerabilities: { critical: 0, high: 2, moderate: 0, low: 0, info: 0 },
        dependencies: { total: 2 },
      },
    });
    expect(advisories).toEqual([
      {
        name: 'wrapper',
        severity: 'high',
        title: 'depends on vulnerable lodash',
        range: '1.0.0 - 1.2.0',
        via: ['lodash'],
      },
      { name: 'lodash', severity: 'high', title: 'Command Injection in lodash', range: '<4.17.21' },
    ]);
  });
});
