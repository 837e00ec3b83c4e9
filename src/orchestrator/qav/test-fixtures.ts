import type { ArtifactView } from '../../core/agent.ts';
import { ErrorClass, ErrorCode, IdeaMineError } from '../../core/errors.ts';
import { hashOf } from '../../core/ids.ts';
import type { Queryable } from '../../storage/database.ts';
import { insertArtifact, insertRun as insertRunRow } from '../../storage/run-store.ts';

/**
 * Test data for the Q/A/V suites (imported by *.test.ts only): a realistic intake IdeaSpec and a
 * PRD draft for "a shared todo app for small teams", shaped like the intake and prd agents' outputs.
 */

export const IDEA_SPEC = {
  title: 'TeamTodo',
  summary: 'A shared todo list for small teams that keeps everyone on the same page.',
  problem:
    'Small teams lose track of who is doing what because tasks live in chat threads and personal notes.',
  users: [
    { id: 'U1', name: 'Team lead', need: 'See every open task of the team and who owns it' },
    { id: 'U2', name: 'Team member', need: 'Get tasks assigned with a clear due date' },
  ],
  goals: [
    {
      id: 'G1',
      statement: 'Teams assign and track tasks in one shared list',
      metric: '80% of tasks created in TeamTodo within 4 weeks',
    },
    {
      id: 'G2',
      statement: 'Members see changes from teammates without refreshing',
      metric: 'Updates reach other members within 2 seconds',
    },
  ],
  constraints: ['Teams have at most 20 members', 'Works offline on mobile and syncs when back online'],
  assumptions: [],
  feasibility: {
    feasible: true,
    rationale: 'A standard web stack with real-time sync over websockets is enough',
    risks: ['Offline edits can conflict when two members change the same task'],
  },
  ambiguities: [],
  blockers: [],
  outOfScope: ['Time tracking and invoicing'],
};

export const PRD_DRAFT = {
  title: 'TeamTodo PRD',
  summary: 'Shared task lists for teams of up to 20 members with real-time sync.',
  problem: 'Tasks scattered across chat threads are forgotten by small teams.',
  requirements: [
    {
      id: 'R1',
      statement: 'Team members can assign a task to one teammate with a due date',
      priority: 'must',
      goalIds: ['G1'],
      storyIds: ['S1'],
    },
    {
      id: 'R2',
      statement: 'Task updates reach every team member within 2 seconds',
      priority: 'must',
      goalIds: ['G2'],
      storyIds: ['S2'],
    },
    {
      id: 'R3',
      statement: 'Offline edits sync automatically when the device reconnects',
      priority: 'should',
      goalIds: ['G2'],
      storyIds: ['S3'],
    },
    {
      id: 'R4',
      statement: 'Team leads export the task list as CSV for weekly reporting',
      priority: 'could',
      goalIds: ['G1'],
      storyIds: ['S4'],
    },
    {
      id: 'R5',
      statement: 'Subscriptions cost 5 USD per seat monthly after a 14 day trial',
      priority: 'must',
      goalIds: [],
      storyIds: [],
    },
  ],
  successMetrics: [
    '80% of team tasks tracked in TeamTodo after 4 weeks',
    'Median sync latency under 2 seconds',
  ],
  outOfScope: ['Time tracking'],
  releaseScope: 'Web and mobile apps for teams of up to 20 members',
};

/** The draft with synthetic ids, for tests that need no artifacts table rows. */
export function draftArtifacts(): ArtifactView[] {
  return [
    { id: 'idea-spec', type: 'IdeaSpec', name: 'idea-spec', phase: 'intake', content: IDEA_SPEC },
    { id: 'prd-draft', type: 'PRD', name: 'prd', phase: 'prd', content: PRD_DRAFT },
  ];
}

export async function insertRun(db: Queryable): Promise<string> {
  return insertRunRow(db, {
    idea: { title: 'TeamTodo', description: 'A shared todo app for small teams' },
    plan: null,
    planHash: '',
    budgets: {},
  });
}

/** Stores the draft as real artifact rows and returns the views with their real ids. */
export async function insertDraft(db: Queryable, runId: string): Promise<ArtifactView[]> {
  const views: ArtifactView[] = [];
  for (const artifact of draftArtifacts()) {
    const { artifact: stored } = await insertArtifact(db, {
      runId,
      phase: artifact.phase,
      type: artifact.type,
      name: artifact.name,
      content: artifact.content,
      hash: hashOf(artifact.content),
      provenance: { source: 'test-fixture@1' },
      idempotencyKey: `test-fixture:${runId}:${artifact.name}`,
    });
    views.push({ ...artifact, id: stored.id });
  }
  return views;
}

export interface TestBudget {
  reserve(tokens: number): void;
  release?(tokens: number): void;
  /** Tokens currently reserved (net of releases), and the highest that ever was. */
  reserved: number;
  peak: number;
  refusals: number;
}

/**
 * A token budget that refuses any reservation going over `limit`, like the orchestrator's; with
 * `releases`, the unused parts of reservations come back.
 */
export function tokenBudget(limit: number, options: { releases?: boolean } = {}): TestBudget {
  const budget: TestBudget = {
    reserved: 0,
    peak: 0,
    refusals: 0,
    reserve(tokens: number): void {
      if (budget.reserved + tokens > limit) {
        budget.refusals += 1;
        throw new IdeaMineError(ErrorCode.budgetExceeded, `token budget ${limit} exceeded`, {
          errorClass: ErrorClass.budget,
        });
      }
      budget.reserved += tokens;
      budget.peak = Math.max(budget.peak, budget.reserved);
    },
  };
  if (options.releases) {
    budget.release = (tokens: number) => {
      budget.reserved -= tokens;
    };
  }
  return budget;
}

export const THRESHOLDS = { fissionMinCoverage: 0.9, fusionMinConsensus: 0.85 } as const;
