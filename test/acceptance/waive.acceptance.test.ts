import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { captureOutput, runCli, spawnCli } from '../support/cli.ts';

/**
 * `ideamine waive` through the CLI, as a release manager would use it: qa's coverage threshold is
 * raised above what the generated app's tests reach, so the gate would fail on measured coverage; while
 * the run is live a non-waivable rubric is refused and the coverage rubric is waived through the
 * owner's socket, and the gate passes with the waiver applied — which the dossier and the ledger show.
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

  it('refuses a rubric that is not waivable, and a waiver granted during the run passes the gate', async () => {
    // The run owns the embedded data dir, so `waive` goes through its socket, as an operator's would.
    const child = spawnCli(['run', 'A shared todo app for small teams', '--json'], env);
    const output = captureOutput(child);
    const exited = once(child, 'exit') as Promise<[number | null]>;
    let id = '';
    for (let i = 0; i < 600 && !id; i++) {
      const first = output.stdout().split('\n')[0] ?? '';
      if (first.includes('"runId"')) id = (JSON.parse(first) as { runId: string }).runId;
      else await new Promise((r) => setTimeout(r, 200));
    }
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

    const [code] = await exited;
    expect(code, output.stderr()).toBe(0);
    const summary = JSON.parse(output.stdout().trim().split('\n').at(-1) as string) as {
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
    // Coverage stays below the raised threshold: the gate passed only because the waiver covered it.
    expect(qa?.gates.at(-1)?.waiversApplied).toEqual([waiver.id]);
    const html = readFileSync(summary.dossier.json.replace(/\.json$/, '.html'), 'utf8');
    expect(html).toContain('<h2>Waivers</h2>');
    expect(html).toMatch(/<b>waived<\/b>: test_coverage_min/);

    const ledger = await runCli(['ledger', 'verify', id], env);
    expect(ledger.code, ledger.stdout + ledger.stderr).toBe(0);
  }, 1_500_000);
});
