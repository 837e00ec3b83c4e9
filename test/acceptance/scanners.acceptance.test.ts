import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.ts';

/**
 * Issue 10's acceptance, through the CLI as a user runs it: after a default run the dossier carries a
 * secret scan, an SBOM, static analysis, a dependency audit, an accessibility check and a load test,
 * each with the tool@version that ran on the workspace. A secret committed into the workspace by hand,
 * then `retry --phase security` and `resume`, fails the security gate naming the file (exit 6), and
 * the secret appears nowhere in full. An image without alt text fails the aesthetic gate.
 */

const FAULTY_CLI = join(ROOT, 'test/support/faulty-cli.ts');

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
}

/** An AWS-style access key id built at run time, so that this repository holds no literal key. */
function fakeAwsKey(): string {
  const body = Array.from({ length: 16 }, (_, i) => 'QWERTYUPASDFGHJKLZXCVBNM234567'[(i * 7 + 3) % 30]).join(
    '',
  );
  return `AKIA${body}`;
}

describe('acceptance: scanners, accessibility and load test on the workspace', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-scan-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('a default run reports every scan with tool@version; a secret committed by hand fails security on retry', async () => {
    const first = await runCli(
      ['run', 'A shared todo app for small teams', '--json'],
      { IDEAMINE_HOME: home },
      420_000,
    );
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = jsonLines(first.stdout).at(-1)!;
    const runId = String(summary['runId']);
    const runDir = join(home, 'runs', runId);
    const dossier = JSON.parse(readFileSync(join(runDir, 'dossier.json'), 'utf8'));
    const commit = String(dossier.workspace.commit);

    const expected: Record<string, RegExp> = {
      SecretScan: /^secret-scan@\d+\.\d+\.\d+/,
      Sbom: /^sbom@\d+\.\d+\.\d+/,
      StaticAnalysis: /^sast-scan@\d+\.\d+\.\d+/,
      DependencyAudit: /^dependency-audit@\d+\.\d+\.\d+/,
      AccessibilityScan: /^a11y-check@\d+\.\d+\.\d+/,
      LoadTestReport: /^load-test@\d+\.\d+\.\d+/,
    };
    for (const [type, tool] of Object.entries(expected)) {
      const stored = dossier.reports[type];
      expect(stored, `${type} in the dossier`).toBeDefined();
      expect(stored.tool).toMatch(tool);
      expect(stored.report.tool).toBe(stored.tool);
      // Every scan ran on a commit of this workspace (the release commit adds only CHANGELOG.md).
      expect(git(join(runDir, 'workspace'), 'cat-file', '-t', String(stored.commit)).trim()).toBe('commit');
    }
    expect(dossier.reports.SecretScan.report.findings).toEqual([]);
    expect(dossier.reports.SecretScan.report.scanned.files).toBeGreaterThan(5);
    expect(dossier.reports.AccessibilityScan.report.pages.length).toBeGreaterThanOrEqual(1);
    expect(dossier.reports.AccessibilityScan.report.pages[0].status).toBe(200);
    // The attachments: the CycloneDX document and a PNG per page.
    const bom = JSON.parse(readFileSync(join(runDir, 'sbom.cdx.json'), 'utf8'));
    expect(bom.bomFormat).toBe('CycloneDX');
    const shots = readdirSync(join(runDir, 'screenshots'));
    expect(shots.length).toBe(dossier.reports.AccessibilityScan.report.pages.length);
    const png = readFileSync(join(runDir, 'screenshots', shots[0]!));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(readFileSync(join(runDir, 'dossier.html'), 'utf8')).toContain('data:image/png;base64,');
    expect(commit).toMatch(/^[0-9a-f]{40}$/);

    // A user commits a credential into the app by hand.
    const workspace = join(runDir, 'workspace');
    const key = fakeAwsKey();
    writeFileSync(join(workspace, 'src', 'cloud.js'), `export const AWS_ACCESS_KEY_ID = '${key}';\n`);
    git(workspace, 'add', 'src/cloud.js');
    git(
      workspace,
      '-c',
      'user.name=Someone',
      '-c',
      'user.email=someone@example.com',
      'commit',
      '-q',
      '-m',
      'cloud credentials',
    );

    const retry = await runCli(['retry', runId, '--phase', 'security'], { IDEAMINE_HOME: home }, 60_000);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/will retry security, qa, aesthetic, release, beta/);
    const resumed = await runCli(['resume', runId, '--json'], { IDEAMINE_HOME: home }, 300_000);
    expect(resumed.code).toBe(6);
    const failed = jsonLines(resumed.stdout).filter((l) => l['type'] === 'phase.gate.failed');
    expect(failed.map((l) => l['phase'])).toContain('security');
    const reasons = JSON.stringify(failed.map((l) => (l['payload'] as Record<string, unknown>)['reasons']));
    expect(reasons).toMatch(/secrets_max exceeded: 1 > 0 \(src\/cloud\.js:1 /);
    // Masked everywhere: the output, the dossier and the stored ledger never hold the key in full.
    expect(resumed.stdout).not.toContain(key);
    expect(resumed.stderr).not.toContain(key);
    expect(readFileSync(join(runDir, 'dossier.json'), 'utf8')).not.toContain(key);
    const after = JSON.parse(readFileSync(join(runDir, 'dossier.json'), 'utf8'));
    expect(after.run.status).toBe('failed');
    expect(after.reports.SecretScan.report.findings[0]).toMatchObject({ file: 'src/cloud.js', line: 1 });
    expect(after.reports.SecretScan.report.findings[0].masked).toMatch(/^AKIA…/);
    expect(existsSync(join(workspace, 'src', 'cloud.js'))).toBe(true);
  }, 900_000);

  it('an image without alt text fails the aesthetic gate, naming the rule and the page', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'ideamine-scan-config-'));
    const faultyHome = mkdtempSync(join(tmpdir(), 'ideamine-scan-faulty-'));
    try {
      // One gate attempt: nothing in the aesthetic phase rewrites the page, so more would be the same.
      writeFileSync(join(configDir, 'aesthetic.yaml'), 'phase: aesthetic\nmax_gate_attempts: 1\n');
      const child = spawn(
        process.execPath,
        [FAULTY_CLI, 'run', 'A shared todo app for small teams', '--json'],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            IDEAMINE_HOME: faultyHome,
            IDEAMINE_CONFIG_DIR: configDir,
            IDEAMINE_LOG_LEVEL: 'warn',
            IDEAMINE_TEST_FAULTS: 'image-without-alt',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      const [code] = (await once(child, 'exit')) as [number];
      expect(code).toBe(6);
      const failed = jsonLines(stdout).filter((l) => l['type'] === 'phase.gate.failed');
      expect(failed.map((l) => l['phase'])).toEqual(['aesthetic']);
      const reasons = JSON.stringify(
        (failed[0]?.['payload'] as Record<string, unknown> | undefined)?.['reasons'],
      );
      expect(reasons).toMatch(/a11y_violations_serious_max exceeded: 1 > 0 \(\/: image-alt \(critical\)/);
      expect(reasons).toMatch(/wcag_level_aa_required not satisfied/);
    } finally {
      rmSync(configDir, { recursive: true, force: true });
      rmSync(faultyHome, { recursive: true, force: true });
    }
  }, 600_000);
});
