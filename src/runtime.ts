import { hostname } from 'node:os';
import { join } from 'node:path';
import { RuntimeCatalog } from './catalog.ts';
import { loadPhaseConfigs, type PhaseConfigSet } from './config/load-phase-configs.ts';
import { newId } from './core/ids.ts';
import type { Workbench } from './core/workbench.ts';
import { builtinHandlers, builtinTaskInputs } from './engine/handlers.ts';
import { Supervisor } from './engine/supervisor.ts';
import type { TaskTypes } from './engine/task-submission.ts';
import type { TaskHandler } from './engine/worker-pool.ts';
import { providerBreakers, withCircuitBreaker } from './llm/circuit-breaker-model.ts';
import { instrumentModel } from './llm/instrumented-model.ts';
import type { Model } from './llm/model.ts';
import { type ModelSettings, resolveModel } from './llm/model-registry.ts';
import { createRecordingModel, createReplayModel } from './llm/record-replay.ts';
import { createHeadSigner, LEDGER_JOURNAL_FILE } from './observability/ledger-heads.ts';
import { loadOrCreateLedgerKey } from './observability/ledger-key.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { writeDossier } from './observability/release-dossier.ts';
import { AGENT_TASK, agentTaskInput, createAgentTaskHandler } from './orchestrator/agent-task.ts';
import { Orchestrator } from './orchestrator/orchestrator.ts';
import { SqlTaskQueue } from './queue/sql-task-queue.ts';
import type { TaskQueue } from './queue/task-queue.ts';
import type { Database } from './storage/database.ts';
import { openDatabase, type StorageOptions } from './storage/open.ts';
import { printHtmlToPdf } from './tools/chromium.ts';
import { createWorkbench } from './tools/workbench.ts';

/**
 * The composition root: picks drivers from resolved options and wires them. Everything above it
 * (CLI, API) receives a Runtime; nothing below it knows which drivers were chosen.
 */

export interface RuntimeOptions {
  /** IdeaMine home (PGlite data, artifacts, dossiers). */
  home: string;
  databaseUrl?: string | undefined;
  pgSchema?: string | undefined;
  leaseMs: number;
  logLevel: string;
  /** `offline` (default) or `<provider>:<model>`. */
  model?: string;
  modelBaseUrl?: string | undefined;
  providerKeys?: { openaiApiKey?: string; anthropicApiKey?: string };
  /** Models the unsticker may fall back to, best first. */
  fallbackModels?: readonly string[];
  /** Record every model call to this file; replay a recording instead of calling any model. */
  recordFile?: string | undefined;
  replayFile?: string | undefined;
  /** User phase configs that override or add phases. */
  configDir?: string | undefined;
  /**
   * Wraps every resolved model (composition-root injection). The product sets none; tests use it to
   * put a test-only faulty model (test/support/faulty-model.ts) in front of the real one.
   */
  modelDecorator?: ((model: Model) => Model) | undefined;
  /**
   * Wraps the opened database (composition-root injection). The product sets none; the statement
   * bench (bench/statements.ts) puts a counting wrapper (storage/statement-counter.ts) in front.
   */
  databaseDecorator?: ((db: Database) => Database) | undefined;
  /** OTLP/HTTP base URL: when set, this process exports its spans there (observability/tracing.ts). */
  otlpEndpoint?: string | undefined;
  /** The ledger's Ed25519 private key as PEM or a path to it; default `<home>/ledger-key.pem`. */
  ledgerKey?: string | undefined;
}

export interface Runtime {
  readonly options: RuntimeOptions;
  readonly db: Database;
  readonly queue: TaskQueue;
  readonly logger: Logger;
  readonly handlers: Map<string, TaskHandler>;
  /** Input schemas of the task types `handlers` run: what a submitted task is checked against. */
  readonly taskTypes: TaskTypes;
  readonly catalog: RuntimeCatalog;
  readonly model: Model;
  readonly orchestrator: Orchestrator;
  /** The runs' code workspaces and the tools that measure them. */
  readonly workbench: Workbench;
  /** Watches running tasks for stalls; started by whoever runs workers or drives runs. */
  readonly supervisor: Supervisor;
  /** Identifies this process as a run-lease holder. */
  readonly owner: string;
  /** Prometheus metrics of this runtime (`/metrics` on serve and on `worker --metrics-port`). */
  readonly metrics: Metrics;
  loadPhaseConfigs(): Promise<PhaseConfigSet>;
  close(): Promise<void>;
}

export function storageOptionsFor(options: RuntimeOptions): StorageOptions {
  return options.databaseUrl
    ? {
        driver: 'postgres',
        url: options.databaseUrl,
        ...(options.pgSchema ? { schema: options.pgSchema } : {}),
      }
    : { driver: 'pglite', dataDir: options.home };
}

export function runDir(options: Pick<RuntimeOptions, 'home'>, runId: string): string {
  return join(options.home, 'runs', runId);
}

function modelSettings(options: RuntimeOptions): ModelSettings {
  return {
    ...(options.modelBaseUrl ? { baseUrl: options.modelBaseUrl } : {}),
    ...(options.providerKeys ?? {}),
  };
}

export async function openRuntime(
  options: RuntimeOptions,
  logger: Logger = createLogger({ level: options.logLevel }),
): Promise<Runtime> {
  const settings = modelSettings(options);
  // Resolve the model before touching storage: a bad model spec is a config error, not a crash later.
  // Replay answers every call from the recording (no network); record wraps whatever is resolved.
  const resolve = (spec: string): Model => {
    if (options.replayFile) return createReplayModel(options.replayFile);
    const resolved = resolveModel(spec, settings);
    const m = options.modelDecorator ? options.modelDecorator(resolved) : resolved;
    return options.recordFile ? createRecordingModel(m, options.recordFile) : m;
  };
  const model = resolve(options.model ?? 'offline');
  const opened = await openDatabase(storageOptionsFor(options));
  const db = options.databaseDecorator ? options.databaseDecorator(opened) : opened;
  const queue = new SqlTaskQueue(db, { defaultLeaseMs: options.leaseMs });
  const models = new Map<string, Model>([[model.id, model]]);
  const breakerFor = providerBreakers();
  const metrics = createMetrics({
    db,
    queue,
    onError: (error) => logger.warn({ err: (error as Error).message }, 'metrics: could not read storage'),
  });
  // Every model call gets a span and counts toward the token and cost metrics.
  const guarded = (m: Model): Model =>
    instrumentModel(m.id === 'offline' ? m : withCircuitBreaker(m, breakerFor(m.id)), metrics.models);
  models.set(model.id, guarded(model));
  const modelFor = (spec: string | undefined): Model => {
    const key = spec ?? model.id;
    let m = models.get(key);
    if (!m) {
      m = guarded(resolve(key));
      models.set(key, m);
    }
    return m;
  };
  // The fallback ladder: the run's model, then the configured fallbacks, each one rung down.
  const ladder = [model.id, ...(options.fallbackModels ?? [])];
  const fallbackModel = (spec: string | undefined): Model | undefined => {
    const current = ladder.indexOf(spec ? modelFor(spec).id : model.id);
    const next = current >= 0 ? ladder[current + 1] : ladder[1];
    return next ? modelFor(next) : undefined;
  };
  const catalog = new RuntimeCatalog(db, options.home);
  const handlers = builtinHandlers();
  handlers.set(AGENT_TASK, createAgentTaskHandler({ db, catalog, modelFor, fallbackModel }));
  const taskInputs = builtinTaskInputs();
  taskInputs.set(AGENT_TASK, agentTaskInput);
  const supervisor = new Supervisor({
    db,
    queue,
    logger,
    capabilities: (candidate) => {
      const input = (candidate.input ?? {}) as { model?: string };
      return {
        isAgent: candidate.type === AGENT_TASK,
        // Tools are declared by agents but not executed by this build, so there is no alternate to switch to.
        hasAlternateTool: false,
        hasFallbackModel: candidate.type === AGENT_TASK && fallbackModel(input.model) !== undefined,
      };
    },
  });
  const owner = `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  // The OpenTelemetry SDK (about 300 modules) loads only when spans are exported.
  const tracing = options.otlpEndpoint
    ? (await import('./observability/tracing.ts')).startTracing({
        endpoint: options.otlpEndpoint,
        instanceId: owner,
      })
    : undefined;
  const workbench = createWorkbench({ runDir: (runId) => runDir(options, runId) });
  const orchestrator = new Orchestrator({
    db,
    queue,
    catalog,
    model: modelFor(undefined),
    owner,
    leaseMs: Math.max(options.leaseMs, 10_000),
    logger,
    workbench,
    heads: createHeadSigner({
      db,
      loadKey: () => loadOrCreateLedgerKey({ home: options.home, ledgerKey: options.ledgerKey }),
      journalFile: join(options.home, LEDGER_JOURNAL_FILE),
      onJournalError: (error) =>
        logger.warn({ err: error.message }, 'could not append to the ledger journal'),
    }),
    onSettled: async (runId) => {
      await writeDossier(db, runId, runDir(options, runId), {
        workspace: await workbench.info(runId),
        printPdf: printHtmlToPdf,
      });
    },
  });
  return {
    options,
    db,
    queue,
    logger,
    handlers,
    taskTypes: { inputs: taskInputs },
    catalog,
    model,
    orchestrator,
    workbench,
    supervisor,
    owner,
    metrics,
    loadPhaseConfigs: () => loadPhaseConfigs(options.configDir ? { userDir: options.configDir } : {}),
    close: async () => {
      await supervisor.stop();
      await db.close();
      await tracing?.stop();
    },
  };
}
