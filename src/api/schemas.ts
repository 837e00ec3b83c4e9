import { z } from 'zod';

/**
 * The HTTP API's request and response shapes. Routes validate requests with these; the OpenAPI
 * document is generated from them; the dashboard and the unix-socket client code against them. Dates
 * travel as ISO-8601 strings. Lists are wrapped (`{ runs: [...] }`) so that fields can be added
 * beside them later without breaking a client; single resources are returned bare.
 */

const isoDate = z.iso.datetime({ offset: true });
const uuid = z.guid();

export const RunStatusSchema = z.enum(['pending', 'running', 'paused', 'succeeded', 'failed', 'cancelled']);
export const PhaseStatusSchema = z.enum([
  'pending',
  'running',
  'paused',
  'passed',
  'failed',
  'cancelled',
  'skipped',
]);

const usage = z.record(z.string(), z.number());
const errorBody = z.record(z.string(), z.unknown()).nullable();

export const RunSchema = z
  .object({
    id: uuid,
    status: RunStatusSchema,
    title: z.string(),
    idea: z.record(z.string(), z.unknown()),
    planHash: z.string().nullable(),
    budgets: usage,
    usage,
    signal: z.enum(['pause', 'cancel']).nullable(),
    /** The process driving the run (`host:pid:nonce`), or null when nobody holds its lease. */
    driver: z.string().nullable(),
    error: errorBody,
    createdAt: isoDate,
    startedAt: isoDate.nullable(),
    completedAt: isoDate.nullable(),
  })
  .meta({ id: 'Run' });
export type RunView = z.infer<typeof RunSchema>;

export const RunListSchema = z.object({ runs: z.array(RunSchema) }).meta({ id: 'RunList' });

export const RunListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const PhaseSchema = z
  .object({
    phase: z.string(),
    status: PhaseStatusSchema,
    stage: z.string().nullable(),
    gateAttempts: z.number().int(),
    generation: z.number().int(),
    budgets: usage,
    usage,
    signal: z.enum(['pause', 'cancel', 'retry', 'timebox']).nullable(),
    error: errorBody,
    startedAt: isoDate.nullable(),
    completedAt: isoDate.nullable(),
  })
  .meta({ id: 'Phase' });
export type PhaseView = z.infer<typeof PhaseSchema>;

export const PhaseListSchema = z.object({ phases: z.array(PhaseSchema) }).meta({ id: 'PhaseList' });

/** An idea as submitted: a description, and optionally the rest of an idea file. */
export const CreateRunSchema = z
  .strictObject({
    description: z.string().trim().min(3).max(20_000),
    title: z.string().trim().min(1).max(200).optional(),
    audience: z.string().max(2_000).optional(),
    constraints: z.array(z.string().max(2_000)).max(100).optional(),
  })
  .meta({ id: 'CreateRun' });

export const RetryRunSchema = z
  .strictObject({
    /** Start this phase and every phase downstream of it over; without it, the failed ones. */
    phase: z.string().min(1).max(100).optional(),
  })
  .meta({ id: 'RetryRun' });

export const RetryResultSchema = z
  .object({ run: RunSchema, phases: z.array(z.string()) })
  .meta({ id: 'RetryResult' });

/** A waiver request: one rubric of one phase, why, and for how long (a duration such as `7d`). */
export const CreateWaiverSchema = z
  .strictObject({
    phase: z.string().min(1).max(100),
    rubric: z.string().min(1).max(200),
    reason: z.string().trim().min(1).max(2_000),
    expires: z
      .string()
      .regex(/^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/, 'a duration such as 12h or 7d')
      .optional(),
    owner: z.string().trim().min(1).max(200).optional(),
    control: z.string().trim().min(1).max(2_000).optional(),
  })
  .meta({ id: 'CreateWaiver' });

export const WaiverSchema = z
  .object({
    id: uuid,
    runId: uuid,
    phase: z.string(),
    violationType: z.string().describe('the rubric it covers'),
    owner: z.string(),
    reason: z.string().nullable(),
    compensatingControl: z.string(),
    status: z.enum(['active', 'revoked']),
    expiresAt: isoDate,
    createdAt: isoDate,
  })
  .meta({ id: 'Waiver' });
export type WaiverView = z.infer<typeof WaiverSchema>;

export const WaiverListSchema = z.object({ waivers: z.array(WaiverSchema) }).meta({ id: 'WaiverList' });

/** One stored event. Over SSE, `id:` is `seq` and `data:` is this object as JSON. */
export const EventSchema = z
  .object({
    seq: z.number().int(),
    id: uuid,
    type: z.string(),
    runId: uuid.nullable(),
    phase: z.string().nullable(),
    taskId: uuid.nullable(),
    payload: z.record(z.string(), z.unknown()),
    createdAt: isoDate,
  })
  .meta({ id: 'Event' });
export type EventView = z.infer<typeof EventSchema>;

export const EventsQuerySchema = z.strictObject({
  runId: uuid.optional(),
  /** Comma-separated event types; without it every type. */
  types: z
    .string()
    .max(2_000)
    .optional()
    .transform((s) => (s ? s.split(',').filter(Boolean) : undefined)),
  /** Resume after this sequence number (the `Last-Event-ID` header wins when both are given). */
  lastEventId: z.coerce.number().int().min(0).optional(),
});

export const ErrorResponseSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      /** For 400s: each rejected field (dotted path, `(body)` for the whole body) and why. */
      issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

export const ArtifactSummarySchema = z
  .object({
    id: uuid,
    phase: z.string(),
    type: z.string(),
    name: z.string(),
    hash: z.string(),
    provenance: z.record(z.string(), z.unknown()),
    createdAt: isoDate,
  })
  .meta({ id: 'ArtifactSummary' });

export const ArtifactListSchema = z
  .object({ artifacts: z.array(ArtifactSummarySchema) })
  .meta({ id: 'ArtifactList' });

export const ArtifactListQuerySchema = z.strictObject({ phase: z.string().min(1).max(100).optional() });

export const KmapQuerySchema = z.strictObject({
  q: z.string().max(1_000).optional(),
  phase: z.string().min(1).max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** A knowledge-map frame (subject, predicate, object with its sources and confidence). */
export const FrameSchema = z
  .looseObject({
    id: uuid,
    phase: z.string(),
    subject: z.string(),
    predicate: z.string(),
    status: z.string(),
  })
  .meta({ id: 'KnowledgeFrame' });
export const FrameListSchema = z.object({ frames: z.array(FrameSchema) }).meta({ id: 'KnowledgeFrameList' });

export const AssumptionSchema = z
  .looseObject({
    id: uuid,
    phase: z.string(),
    statement: z.string(),
    mitigation: z.string().nullable(),
    status: z.string(),
  })
  .meta({ id: 'Assumption' });
export const AssumptionListSchema = z
  .object({ assumptions: z.array(AssumptionSchema) })
  .meta({ id: 'AssumptionList' });

export const LedgerVerificationSchema = z
  .looseObject({
    ok: z.boolean(),
    entries: z.number().int(),
    brokenAt: z.object({ seq: z.number().int(), reason: z.string() }).optional(),
  })
  .meta({ id: 'LedgerVerification' });

export const DossierSchema = z
  .looseObject({ run: z.record(z.string(), z.unknown()), phases: z.array(z.unknown()) })
  .meta({ id: 'Dossier' });

/** A task submitted to the queue (`POST /api/tasks`): checked against its type's input schema first. */
export const SubmitTaskSchema = z
  .strictObject({
    type: z.string().min(1).max(200),
    input: z.unknown().optional(),
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    maxAttempts: z.number().int().min(1).max(100).optional(),
    queue: z.string().min(1).max(100).optional(),
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(365 * 24 * 3_600_000)
      .optional(),
    /** Submitting the same key again returns the stored task instead of a new one. */
    idempotencyKey: z.string().min(1).max(200).optional(),
  })
  .meta({ id: 'SubmitTask' });

export const TaskSchema = z
  .object({
    id: uuid,
    type: z.string(),
    kind: z.string(),
    queue: z.string(),
    state: z.string(),
    runId: uuid.nullable(),
    input: z.unknown(),
    priority: z.number().int(),
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    progress: z.record(z.string(), z.unknown()).nullable(),
    result: z.unknown(),
    error: z.record(z.string(), z.unknown()).nullable(),
    runAt: isoDate,
    createdAt: isoDate,
    startedAt: isoDate.nullable(),
    completedAt: isoDate.nullable(),
  })
  .meta({ id: 'Task' });
export type TaskView = z.infer<typeof TaskSchema>;

/** A worker's progress report for one attempt of a task (fenced: a stale attempt is refused). */
export const HeartbeatSchema = z
  .strictObject({
    taskId: uuid,
    attempt: z.number().int().min(1).max(1_000),
    pct: z.number().min(0).max(100).optional(),
    etaMs: z.number().int().min(0).optional(),
    metrics: z.record(z.string().max(100), z.number()).optional(),
    note: z.string().max(500).optional(),
  })
  .meta({ id: 'Heartbeat' });

export const HeartbeatResultSchema = z
  .object({ ok: z.literal(true), checkpointRequested: z.boolean() })
  .meta({ id: 'HeartbeatResult' });

/** A dry run of a phase's gate on posted metrics. Nothing is stored. */
export const GateEvaluateSchema = z
  .strictObject({
    /** The run whose plan (rubrics, measured metrics, waivers) applies. */
    runId: uuid,
    metrics: z.record(z.string().min(1).max(100), z.union([z.number(), z.boolean()])),
  })
  .meta({ id: 'GateEvaluate' });

export const GateResultSchema = z
  .looseObject({
    phase: z.string(),
    pass: z.boolean(),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'GateResult' });

const citation = z.strictObject({
  artifactId: z.string().min(1).max(100),
  path: z.string().min(1).max(500),
  quote: z.string().max(5_000),
});

/** One validated question/answer pair for the knowledge refinery (the spec's `{q, a, v, phase}`). */
export const RefineryIngestSchema = z
  .strictObject({
    runId: uuid,
    phase: z.string().min(1).max(100),
    question: z.strictObject({
      id: z.string().min(1).max(100),
      text: z.string().min(1).max(5_000),
      claimIds: z.array(z.string().max(100)).max(100).default([]),
      rationale: z.string().max(5_000).default(''),
    }),
    answer: z.strictObject({
      status: z.enum(['answered', 'unknown']),
      answer: z.string().max(20_000),
      statements: z
        .array(
          z.strictObject({
            subject: z.string().min(1).max(1_000),
            predicate: z.string().min(1).max(1_000),
            object: z.string().min(1).max(5_000),
            citations: z.array(citation).max(50),
          }),
        )
        .max(200),
    }),
    validation: z.strictObject({
      verdict: z.enum(['ACCEPT', 'REJECT', 'UNKNOWN']),
      scores: z.strictObject({
        grounding: z.number().min(0).max(1),
        completeness: z.number().min(0).max(1),
        specificity: z.number().min(0).max(1),
        consistency: z.number().min(0).max(1),
      }),
      reasons: z.array(z.string().max(2_000)).max(50).default([]),
      groundedStatements: z.array(z.number().int().min(0)).max(200),
    }),
  })
  .meta({ id: 'RefineryIngest' });

export const KmapDeltaSchema = z
  .object({
    deltaId: uuid.nullable(),
    frameIds: z.array(uuid),
    merged: z.number().int(),
    conflicts: z.number().int(),
    consensus: z.number(),
  })
  .meta({ id: 'KmapDelta' });

export const PhaseRunSchema = z.strictObject({ runId: uuid }).meta({ id: 'PhaseRun' });

/** A task for one phase of a run (`POST /api/phase/:phase/tasks`). */
export const PhaseTaskSchema = SubmitTaskSchema.extend({ runId: uuid }).meta({ id: 'PhaseTask' });

export const CreateTokenSchema = z
  .strictObject({
    scopes: z
      .array(z.enum(['runs:read', 'runs:write', 'tasks:write', 'admin']))
      .min(1)
      .max(4),
    name: z.string().min(1).max(100).optional(),
  })
  .meta({ id: 'CreateToken' });

export const TokenSchema = z
  .object({
    id: uuid,
    name: z.string().nullable(),
    scopes: z.array(z.string()),
    createdAt: isoDate,
    revokedAt: isoDate.nullable(),
    lastUsedAt: isoDate.nullable(),
  })
  .meta({ id: 'Token' });
export type TokenView = z.infer<typeof TokenSchema>;

/** The one response that carries a token's secret: the answer to creating it. */
export const CreatedTokenSchema = TokenSchema.extend({ token: z.string() }).meta({ id: 'CreatedToken' });
export type CreatedTokenView = z.infer<typeof CreatedTokenSchema>;
export const TokenListSchema = z.object({ tokens: z.array(TokenSchema) }).meta({ id: 'TokenList' });
