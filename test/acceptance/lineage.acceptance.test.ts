import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinAgents } from '../../src/agents/registry.ts';
import type { LineageReport } from '../../src/observability/lineage.ts';
import { latestArtifacts } from '../../src/orchestrator/agent-task.ts';
import { runCli } from '../support/cli.ts';

/**
 * Issue 12's provenance and lineage, through the CLI after a real offline run: every artifact records
 * what it was made from (ids and content hashes), and `ideamine lineage` walks that recursively, up to
 * the idea the run started from and back down again.
 */

interface DossierArtifact {
  id: string;
  phase: string;
  type: string;
  name: string;
  hash: string;
  provenance: Record<string, unknown>;
  inputs: string[];
}

interface DossierPhase {
  phase: string;
  startedAt: string;
  completedAt: string;
}

const CODE_TYPES = new Set(['SourceTree', 'CodePatch']);
const INDEXED_PHASES =
  'input intake ideation critique prd architecture build security story-loop qa aesthetic release';

describe('acceptance: provenance and `ideamine lineage`', () => {
  const home = mkdtempSync(join(tmpdir(), 'ideamine-lineage-'));
  const env = { IDEAMINE_HOME: home };
  let artifacts: DossierArtifact[];
  let phases: DossierPhase[];
  const byId = () => new Map(artifacts.map((a) => [a.id, a]));
  const one = (type: string) => {
    const found = artifacts.filter((a) => a.type === type && a.provenance['carriedFrom'] === undefined);
    expect(found.length, `one ${type}`).toBeGreaterThan(0);
    return found.at(-1) as DossierArtifact;
  };

  beforeAll(async () => {
    const run = await runCli(['run', 'A shared todo app for small teams', '--json'], env, 600_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as {
      dossier: { json: string };
    };
    const dossier = JSON.parse(readFileSync(summary.dossier.json, 'utf8'));
    artifacts = dossier.artifacts;
    phases = dossier.phases;
  }, 620_000);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('the release dossier’s lineage reaches the idea through every phase, with producer, model, cost and hash', async () => {
    const root = one('ReleaseDossier');
    const result = await runCli(['lineage', root.id, '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as LineageReport;
    expect(report.root).toBe(root.id);
    expect(report.direction).toBe('ancestors');
    const entries = new Map(report.artifacts.map((a) => [a.id, a]));
    // Closed under "made from": every input of every entry is itself an entry, each listed once.
    expect(entries.size).toBe(report.artifacts.length);
    for (const a of report.artifacts) for (const input of a.inputs) expect(entries.has(input)).toBe(true);
    const idea = artifacts.find((a) => a.type === 'Idea');
    expect(entries.get(idea?.id as string)).toMatchObject({ producer: 'user', phase: 'input', inputs: [] });
    // Non-trivial: every phase whose artifacts the dossier indexes is reached (bizdev's are not indexed),
    // and so is the idea's own "phase".
    const phasesReached = new Set(report.artifacts.map((a) => a.phase));
    for (const p of INDEXED_PHASES.split(' ')) expect(phasesReached).toContain(p);
    const prd = entries.get(one('PRD').id);
    expect(prd).toMatchObject({
      producer: expect.stringMatching(/^prd\.[a-z-]+@\d+\.\d+\.\d+$/),
      model: 'offline',
    });
    expect(prd?.inputs).toContain(idea?.id);
    // Every hash is the stored artifact's, and every input hash the producer pinned is its input's hash.
    const stored = byId();
    for (const a of report.artifacts) {
      expect(a.hash).toBe(stored.get(a.id)?.hash);
      for (const [input, hash] of Object.entries(a.inputHashes)) expect(hash).toBe(stored.get(input)?.hash);
    }
    const dossierEntry = entries.get(root.id);
    expect(dossierEntry).toMatchObject({ depth: 0, producer: 'release.dossier-compiler@1.0.0', costUsd: 0 });
    expect(Math.max(...report.artifacts.map((a) => a.depth))).toBeGreaterThanOrEqual(3);
  });

  it('draws the PRD’s ancestry as a tree down to the idea, and the idea’s descendants with --down', async () => {
    const prd = one('PRD');
    const tree = await runCli(['lineage', prd.id.slice(0, 13)], env);
    expect(tree.code).toBe(0);
    const lines = tree.stdout.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^ancestors of PRD ${prd.id}: \\d+ artifacts \\(made from\\)$`));
    expect(lines[1]).toContain(`PRD "${prd.name}" ${prd.id.slice(0, 8)} [prd]`);
    expect(lines[1]).toMatch(/model offline · \$0\.0000 · sha256 [0-9a-f]{12} · \d{4}-\d\d-\d\dT/);
    expect(lines.some((l) => /^[├└]─ Idea "idea" [0-9a-f]{8} \[input\] {2}user · sha256/.test(l))).toBe(true);
    expect(lines.some((l) => /^│? +[├└]─ IdeaSpec /.test(l) || /^[├└]─ IdeaSpec /.test(l))).toBe(true);

    const idea = artifacts.find((a) => a.type === 'Idea') as DossierArtifact;
    const down = await runCli(['lineage', idea.id, '--down', '--json'], env);
    expect(down.code).toBe(0);
    const report = JSON.parse(down.stdout) as LineageReport;
    const ids = new Set(report.artifacts.map((a) => a.id));
    // Every agent artifact of the run reads the idea, so all of them are its descendants.
    for (const a of artifacts.filter((x) => x.provenance['source'] === 'agent')) expect(ids).toContain(a.id);
    expect(ids).toContain(one('ReleaseDossier').id);
  });

  it('every agent artifact records exactly what its definition selected, never `inputs: []`', () => {
    const stored = byId();
    const latest = latestArtifacts(artifacts);
    const phaseOf = new Map(phases.map((p) => [p.phase, p]));
    const agentArtifacts = artifacts.filter(
      (a) => a.provenance['source'] === 'agent' && a.provenance['carriedFrom'] === undefined,
    );
    expect(agentArtifacts.length).toBeGreaterThan(40);
    const idea = artifacts.find((a) => a.type === 'Idea') as DossierArtifact;
    for (const a of agentArtifacts) {
      const agent = builtinAgents.get(a.name);
      expect(agent, `agent ${a.name}`).toBeDefined();
      const reads = new Set(agent?.reads);
      // The idea is in every prompt, so it is always an input; nothing outside `reads` ever is.
      expect(a.inputs[0], `${a.name} reads the idea`).toBe(idea.id);
      expect(a.provenance['inputs']).toEqual(a.inputs);
      for (const input of a.inputs.slice(1))
        expect(
          reads.has(stored.get(input)?.type as string),
          `${a.name} read ${stored.get(input)?.type}`,
        ).toBe(true);
      if (reads.size === 0) expect(a.inputs).toEqual([idea.id]);
      // Every artifact of a type it reads, from a phase that had finished before its own began, is an input.
      const started = phaseOf.get(a.phase)?.startedAt as string;
      const due = latest.filter(
        (u) =>
          u.phase !== a.phase && reads.has(u.type) && (phaseOf.get(u.phase)?.completedAt ?? '9999') < started,
      );
      for (const u of due) expect(a.inputs, `${a.name} should read ${u.type} ${u.name}`).toContain(u.id);
    }
  });

  // Carried copies, a fixer's reading of a test report and a FixLoopReport's rounds: scripted-model.acceptance.
  it('tool reports name the code they measured', () => {
    const stored = byId();
    const reports = artifacts.filter((a) => a.provenance['source'] === 'tool');
    expect(reports.length).toBeGreaterThan(5);
    for (const r of reports) {
      expect(r.inputs.length, `${r.name} has inputs`).toBeGreaterThan(0);
      for (const input of r.inputs) expect(CODE_TYPES.has(stored.get(input)?.type as string)).toBe(true);
    }
    // The build's SourceTree is in every report's lineage: the workspace starts from it.
    const tree = one('SourceTree');
    expect(reports.every((r) => r.inputs.includes(tree.id))).toBe(true);
  });

  it('an unknown artifact is a clear error (exit 1); a malformed id is bad usage (exit 2)', async () => {
    const unknown = await runCli(['lineage', randomUUID()], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: no artifact matches "[0-9a-f-]{36}"/);
    const malformed = await runCli(['lineage', 'PRD!'], env);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/is not an artifact id/);
    const depth = await runCli(['lineage', one('PRD').id, '--depth', '-1'], env);
    expect(depth.code).toBe(2);
    expect(depth.stderr).toMatch(/--depth/);
  });
});
