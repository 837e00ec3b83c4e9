import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, IdeaMineError } from '../core/errors.ts';
import { PHASE_NAMES } from '../core/phases.ts';
import { BUILTIN_PHASES_DIR, loadPhaseConfigs } from './load-phase-configs.ts';

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ideamine-phases-'));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the builtin dir with one file's text changed. */
function builtinsWith(name: string, edit: (text: string) => string): string {
  const dir = tempDir();
  cpSync(BUILTIN_PHASES_DIR, dir, { recursive: true });
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  return dir;
}

async function loadError(promise: Promise<unknown>): Promise<IdeaMineError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof IdeaMineError) return error;
    throw error;
  }
  throw new Error('expected loadPhaseConfigs to fail');
}

const NEW_PHASE = `phase: compliance
depends_on: [security]
parallelism: 2
agents: [compliance.soc2, compliance.gdpr]
aggregation: concat
budgets: { tokens: 100000, tools_minutes: 30, gpu_hours: 0, usd: 3 }
rubrics: { open_controls_max: 0 }
allowlisted_tools: []
heartbeat_seconds: 30
stall_threshold_heartbeats: 3
refinery: { fission_min_coverage: 0.9, fusion_min_consensus: 0.85 }
timebox: PT45M
max_gate_attempts: 3
`;

describe('builtin phase configs', () => {
  it('load all 13 phases with their agents', async () => {
    const { phases, byName } = await loadPhaseConfigs();
    expect(phases.map((p) => p.phase).sort()).toEqual([...PHASE_NAMES].sort());
    const agentCounts = Object.fromEntries(phases.map((p) => [p.phase, p.agents.length]));
    expect(agentCounts).toEqual({
      intake: 3,
      ideation: 4,
      critique: 3,
      prd: 5,
      bizdev: 4,
      architecture: 4,
      build: 4,
      security: 2,
      'story-loop': 3,
      qa: 4,
      aesthetic: 2,
      release: 4,
      beta: 3,
    });
    for (const phase of phases) {
      for (const agent of phase.agents) expect(agent.id.startsWith(`${phase.phase}.`)).toBe(true);
      expect(phase.sources).toEqual([expect.stringMatching(new RegExp(`${phase.phase}\\.yaml$`))]);
    }
    const intake = byName.get('intake');
    expect(intake?.agents.map((a) => a.id)).toEqual([
      'intake.classifier',
      'intake.expander',
      'intake.validator',
    ]);
    expect(intake?.rubrics).toEqual({ ambiguity_max: 0.1, blockers_max: 0, feasibility_required: true });
    expect(intake?.timeboxMs).toBe(30 * 60_000);
    expect(intake?.parallelism).toBe('sequential');
    expect(byName.get('ideation')?.rubrics['personas_count_range']).toEqual([3, 5]);
    expect(byName.get('security')?.rubrics).toMatchObject({
      critical_cves_max: 0,
      secrets_max: 0,
      high_sast_max: 0,
    });
    expect(byName.get('critique')?.agents[0]).toEqual({ id: 'critique.red-team', temperature: 0.7 });
  });

  it('form the phase DAG, with security and story-loop in parallel before qa', async () => {
    const { levels, phases, byName } = await loadPhaseConfigs();
    expect(levels).toEqual([
      ['intake'],
      ['ideation'],
      ['critique'],
      ['prd'],
      ['bizdev'],
      ['architecture'],
      ['build'],
      ['security', 'story-loop'],
      ['qa'],
      ['aesthetic'],
      ['release'],
      ['beta'],
    ]);
    expect(byName.get('qa')?.dependsOn).toEqual(['security', 'story-loop']);
    expect(byName.get('intake')?.dependsOn).toEqual([]);
    expect(phases.map((p) => p.phase)).toEqual(levels.flat());
  });
});

describe('invalid configs', () => {
  it('name the file, the field and the reason', async () => {
    const dir = builtinsWith('intake', (text) => text.replace('ambiguity_max: 0.10', 'ambiguity_max: high'));
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.code).toBe(ErrorCode.invalidConfig);
    expect(error.message).toContain('intake.yaml: rubrics.ambiguity_max: expected number, got "high"');
    expect(error.message).toMatch(/\(line \d+\)$/);
  });

  it('reject unknown fields and report every problem at once', async () => {
    const dir = builtinsWith('qa', (text) =>
      text
        .replace('heartbeat_seconds: 60', 'heartbeat_secs: 60')
        .replace('parallelism: 4', 'parallelism: lots'),
    );
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.message).toContain('qa.yaml: heartbeat_secs: unknown field');
    expect(error.message).toContain('qa.yaml: heartbeat_seconds: required field is missing');
    expect(error.message).toContain(
      'qa.yaml: parallelism: expected "sequential", "partial", "iterative" or a positive integer, got "lots"',
    );
    expect(error.details['problems']).toHaveLength(3);
  });

  it('name file and line for YAML syntax errors', async () => {
    const dir = builtinsWith('prd', (text) =>
      text.replace('depends_on: [critique]', 'depends_on: [critique'),
    );
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.message).toMatch(/prd\.yaml: YAML syntax error at line \d+, column \d+/);
  });

  it('require at least one agent and known agent ids', async () => {
    const dir = builtinsWith('beta', (text) => text.replace(/agents:\n(\s+- .*\n)+/, 'agents: []\n'));
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.message).toContain('beta.yaml: agents: must not be empty');
  });

  it('reject a dependency on an unknown phase', async () => {
    const dir = builtinsWith('qa', (text) =>
      text.replace('depends_on: [security, story-loop]', 'depends_on: [security, stories]'),
    );
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.message).toContain('qa.yaml: depends_on[1]: unknown phase "stories"');
  });

  it('detect a cycle and report its path', async () => {
    const dir = builtinsWith('ideation', (text) =>
      text.replace('depends_on: [intake]', 'depends_on: [intake, prd]'),
    );
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.message).toContain('dependency cycle: ideation → prd → critique → ideation');
    expect(error.message).toMatch(/ideation\.yaml: depends_on: dependency cycle/);
  });

  it('reject a phase name that does not match its file', async () => {
    const dir = builtinsWith('bizdev', (text) => text.replace('phase: bizdev', 'phase: business'));
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.message).toContain('bizdev.yaml: phase: "business" does not match the file name');
  });

  it('reject waivers for rubrics the phase does not have', async () => {
    const dir = builtinsWith('security', (text) =>
      text.replace('waivers_allowed: [high_cves_max]', 'waivers_allowed: [cves_max]'),
    );
    const error = await loadError(loadPhaseConfigs({ builtinDir: dir }));
    expect(error.message).toContain(
      'security.yaml: waivers_allowed[0]: "cves_max" is not a rubric of this phase',
    );
  });
});

describe('user config dir', () => {
  it('overrides the agents of a phase without code changes', async () => {
    const userDir = tempDir();
    writeFileSync(
      join(userDir, 'ideation.yaml'),
      'agents:\n  - ideation.strategy\n  - id: ideation.persona\n    model: openai:gpt-4.1-mini\nbudgets:\n  tokens: 500000\n',
    );
    const { byName } = await loadPhaseConfigs({ userDir });
    const ideation = byName.get('ideation');
    expect(ideation?.agents).toEqual([
      { id: 'ideation.strategy' },
      { id: 'ideation.persona', model: 'openai:gpt-4.1-mini' },
    ]);
    // Field-level merge: only tokens changed; the other budgets and fields come from the builtin.
    expect(ideation?.budgets).toEqual({ tokens: 500000, toolsMinutes: 180, gpuHours: 0, usd: 40 });
    expect(ideation?.rubrics['usecase_coverage_min']).toBe(0.85);
    expect(ideation?.sources).toHaveLength(2);
    expect(byName.get('intake')?.agents).toHaveLength(3);
  });

  it('adds a new phase to the DAG', async () => {
    const userDir = tempDir();
    writeFileSync(join(userDir, 'compliance.yaml'), NEW_PHASE);
    writeFileSync(join(userDir, 'qa.yml'), 'depends_on: [security, story-loop, compliance]\n');
    const { levels, byName } = await loadPhaseConfigs({ userDir });
    expect(levels[7]).toEqual(['security', 'story-loop']);
    expect(levels[8]).toEqual(['compliance']);
    expect(levels[9]).toEqual(['qa']);
    expect(byName.get('compliance')?.timeboxMs).toBe(45 * 60_000);
  });

  it('blames the user file for problems in an override', async () => {
    const userDir = tempDir();
    writeFileSync(join(userDir, 'intake.yaml'), 'budgets:\n  tokens: -5\n  tokenz: 1\n');
    const error = await loadError(loadPhaseConfigs({ userDir }));
    expect(error.message).toContain(`${join(userDir, 'intake.yaml')}: budgets.tokens: must be >= 0, got -5`);
    expect(error.message).toContain('budgets.tokenz: unknown field');
  });

  it('finds a cycle introduced by an override', async () => {
    const userDir = tempDir();
    writeFileSync(join(userDir, 'intake.yaml'), 'depends_on: [beta]\n');
    const error = await loadError(loadPhaseConfigs({ userDir }));
    expect(error.message).toMatch(
      /intake\.yaml: depends_on: dependency cycle: intake → beta → release → .* → intake/,
    );
  });

  it('fails on a missing user dir', async () => {
    const error = await loadError(loadPhaseConfigs({ userDir: join(tempDir(), 'nope') }));
    expect(error.message).toContain('user phase directory not found');
  });
});

describe('per-phase model override', () => {
  it('a phase-level model applies to agents that name none; an agent-level model wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ideamine-phase-model-'));
    writeFileSync(
      join(dir, 'critique.yaml'),
      'phase: critique\nmodel: openai:gpt-4.1-mini\nagents:\n  - critique.red-team\n  - id: critique.risk-analyst\n    model: anthropic:claude-sonnet-4\n  - critique.assumption-challenger\n',
    );
    const set = await loadPhaseConfigs({ userDir: dir });
    expect(set.byName.get('critique')?.agents).toEqual([
      { id: 'critique.red-team', model: 'openai:gpt-4.1-mini' },
      { id: 'critique.risk-analyst', model: 'anthropic:claude-sonnet-4' },
      { id: 'critique.assumption-challenger', model: 'openai:gpt-4.1-mini' },
    ]);
    writeFileSync(join(dir, 'critique.yaml'), 'phase: critique\nmodel: gpt4\n');
    await expect(loadPhaseConfigs({ userDir: dir })).rejects.toThrow(
      /critique\.yaml: model: expected "offline" or "<provider>:<model>"/,
    );
  });
});
