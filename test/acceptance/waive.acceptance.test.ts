import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

/**
 * `ideamine waive` through the CLI, as a release manager would use it: a run fails qa on measured
 * coverage (the threshold is raised above what the generated app's tests reach), a non-waivable rubric
 * is refused, the coverage rubric is waived, and retry + resume pass the gate with the waiver applied —
 * which the ledger and the dossier both show.
 */
describe('acceptance: ideamine waive', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-waive-'));
  const configDir = mkdtempSync(join(tmpdir(), 'ideamine-waive-config-'));
  writeFileSync(
    join(configDir, 'qa.yaml'),
    ['phase: qa', 'rubrics:', '  test_coverage_min: 0.999', 'max_gate_attempts: 1', ''].join('\n'),
  );
  const env = { IDEAMINE_HOME: home, IDEAMINE_CONFIG_DIR: configDir };
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });

  it('refuses a rubric that is not waivable, and a waived rubric passes the gate on retry', async () => {
    const failed = await runCli(['run', 'A shared todo app for small teams', '--json'], env, 600_000);
    expect(failed.code, failed.stderr).toBe(6);
    expect(`${failed.stdout}${failed.stderr}`).toMatch(/test_coverage_min/);
    const runs = await runCli(['runs', '--json'], env);
    const id = (JSON.parse(runs.stdout.trim().split('\n')[0] as string) as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const refused = await runCli(['waive', id, 'qa', 'test_pass_rate_min', '--reason', 'flaky'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /cannot be waived.*waivers_allowed lists test_coverage_min, perf_budget_met_required/,
    );

    const granted = await runCli(
      [
        'waive',
        id.slice(0, 8),
        'qa',
        'test_coverage_min',
        '--reason',
        'the CLI entry point is covered by e2e',
        '--expires',
        '3d',
        '--json',
      ],
      env,
    );
    expect(granted.code, granted.stderr).toBe(0);
    const waiver = JSON.parse(granted.stdout) as { id: string; owner: string; expiresAt: string };
    expect(waiver.owner.length).toBeGreaterThan(0);

    const retry = await runCli(['retry', id, '--phase', 'qa'], env);
    expect(retry.code, retry.stderr).toBe(0);
    const resumed = await runCli(['resume', id, '--json'], env, 600_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout.trim().split('\n').at(-1) as string) as {
      dossier: { json: string };
    };
    const dossier = JSON.parse(readFileSync(summary.dossier.json, 'utf8')) as {
      waivers: Array<{ id: string; rubric: string; reason: string }>;
      phases: Array<{ phase: string; status: string; gates: Array<{ waiversApplied?: string[] }> }>;
    };
    expect(dossier.waivers).toEqual([
      expect.objectContaining({
        id: waiver.id,
        rubric: 'test_coverage_min',
        reason: 'the CLI entry point is covered by e2e',
      }),
    ]);
    const qa = dossier.phases.find((p) => p.phase === 'qa');
    expect(qa?.status).toBe('passed');
    expect(qa?.gates.at(-1)?.waiversApplied).toEqual([waiver.id]);
    const html = readFileSync(summary.dossier.json.replace(/\.json$/, '.html'), 'utf8');
    expect(html).toContain('<h2>Waivers</h2>');
    expect(html).toMatch(/<b>waived<\/b>: test_coverage_min/);

    const ledger = await runCli(['ledger', 'verify', id], env);
    expect(ledger.code, ledger.stdout + ledger.stderr).toBe(0);
  }, 1_500_000);
});
