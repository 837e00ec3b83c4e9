import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { coder } from '../../src/agents/build/agents.ts';
import { generateApp } from '../../src/agents/build/app/generate.ts';
import { appSpecFrom } from '../../src/agents/build/app/spec.ts';
import { BUILTIN_PHASES_DIR } from '../../src/config/load-phase-configs.ts';
import { buildAgentInput } from '../../src/orchestrator/agent-task.ts';
import { isToolReport } from '../../src/orchestrator/measured-metrics.ts';
import type { Database } from '../../src/storage/database.ts';
import { listArtifacts } from '../../src/storage/run-store.ts';
import {
  type FakeOpenAIServer,
  type FakeRequest,
  reply,
  startFakeOpenAIServer,
} from './fake-openai-server.ts';

/**
 * A coding session played by the fake OpenAI-compatible server (real HTTP) to two agents of a run:
 * `build.coder` and the fixer of the phase that catches the bug. Every other agent stays offline.
 *
 * - The coder's turn: the whole application, as the offline generator writes it for this run's
 *   specification (read from the run's own artifacts, the way the coder's task reads them), with one
 *   real bug in one handler: DELETE answers 200 with a body instead of 204. The workspace's own tests
 *   catch it when QA runs them.
 * - The fixer's turns: the script reads the previous attempt's TestReport that the test runner stored
 *   and checks that the request's prompt contains every failing test's name and its message. Only
 *   then does a `fixes` fixer answer with the handler as it should be; otherwise, and always for a
 *   `repeats` fixer, it answers with the same broken file.
 *
 * The fix is the server's reply: the offline repair never runs for these agents.
 */

export const CODER_MODEL = 'scripted-coder';
export const FIXER_MODEL = 'scripted-fixer';

/** The bug, as an edit of the first resource module. */
const FROM = 'return { status: 204 };';
const TO = 'return { status: 200, body: { deleted: true } };';

export type FixerBehaviour = 'fixes' | 'repeats';

export interface FixerTurn {
  attempt: number;
  /** The failing tests of the previous attempt's report (empty on the first attempt). */
  failing: Array<{ name: string; message: string }>;
  /** Whether the prompt carried every failing test's name and message. */
  recognized: boolean;
  answered: 'fixed' | 'broken';
}

export interface BrokenApp {
  path: string;
  broken: string;
  fixed: string;
}

export interface ScriptedCodingSession {
  server: FakeOpenAIServer;
  /** A config dir that points `build.coder` and `<phase>.fixer` at the server. */
  configDir: string;
  /** The run's database: the script reads the run's artifacts from it. Call before the run starts. */
  attach(db: Database): void;
  readonly fixerTurns: readonly FixerTurn[];
  /** The app the coder answered with, once it has. */
  app(): BrokenApp | undefined;
  close(): Promise<void>;
}

const HEADER = /^Run ([0-9a-f-]{36}), phase ([a-z-]+), attempt (\d+)\./;

function header(request: FakeRequest): { runId: string; phase: string; attempt: number } {
  const m = HEADER.exec(request.prompt);
  if (!m)
    throw new Error(`scripted session: a prompt without its run header: ${request.prompt.slice(0, 120)}`);
  return { runId: m[1]!, phase: m[2]!, attempt: Number(m[3]) };
}

/** The phase's agents as shipped, with `model` set for the one the session plays. */
function phaseFile(phase: string, agentId: string, model: string): string {
  const shipped = parse(readFileSync(join(BUILTIN_PHASES_DIR, `${phase}.yaml`), 'utf8')) as {
    agents: Array<string | { id: string }>;
  };
  const ids = shipped.agents.map((a) => (typeof a === 'string' ? a : a.id));
  if (!ids.includes(agentId)) throw new Error(`scripted session: ${phase}.yaml has no agent ${agentId}`);
  const agents = ids.map((id) =>
    id === agentId ? `  - id: ${id}\n    model: openai-compatible:${model}` : `  - ${id}`,
  );
  return [`phase: ${phase}`, 'agents:', ...agents, ''].join('\n');
}

export async function startScriptedCodingSession(options: {
  fixerPhase: 'qa';
  fixer: FixerBehaviour;
}): Promise<ScriptedCodingSession> {
  let db: Database | undefined;
  let app: BrokenApp | undefined;
  const fixerTurns: FixerTurn[] = [];
  const fixerId = `${options.fixerPhase}.fixer`;

  const database = () => {
    if (!db) throw new Error('scripted session: attach(db) before the run starts');
    return db;
  };

  async function coderTurn(request: FakeRequest): Promise<unknown> {
    const { runId, phase, attempt } = header(request);
    const own = (await listArtifacts(database(), runId, { phase })).filter(
      (a) => Number(a.provenance['gateAttempt']) === attempt && a.provenance['source'] === 'agent',
    );
    const input = await buildAgentInput(
      database(),
      {
        runId,
        phase,
        agentId: coder.id,
        agentVersion: coder.version,
        gateAttempt: attempt,
        hints: [],
        phaseArtifacts: own.map((a) => ({
          id: a.id,
          type: a.type,
          name: a.name,
          phase: a.phase,
          content: a.content,
        })),
      },
      coder.reads,
    );
    const spec = appSpecFrom(input);
    const files = generateApp(spec);
    const target = files
      .map((f) => f.path)
      .sort()
      .find((p) => p.startsWith('src/resources/'));
    const file = files.find((f) => f.path === target);
    if (!file?.content.includes(FROM)) throw new Error('scripted session: no DELETE handler to break');
    app = { path: file.path, fixed: file.content, broken: file.content.replace(FROM, TO) };
    return {
      kind: spec.kind,
      files: files.map((f) => (f.path === file.path ? { ...f, content: app!.broken } : f)),
    };
  }

  async function fixerTurn(request: FakeRequest): Promise<unknown> {
    const { runId, phase, attempt } = header(request);
    if (!app) throw new Error('scripted session: the fixer was asked before the coder');
    const report = (await listArtifacts(database(), runId, { phase })).find(
      (a) =>
        a.type === 'TestReport' && isToolReport(a) && Number(a.provenance['gateAttempt']) === attempt - 1,
    );
    const failing = (
      (report?.content as { failures?: FixerTurn['failing'] } | undefined)?.failures ?? []
    ).map((f) => ({ name: f.name, message: f.message }));
    const recognized =
      failing.length > 0 &&
      failing.every((f) => request.prompt.includes(f.name) && request.prompt.includes(f.message.trim()));
    const fix = options.fixer === 'fixes' && recognized;
    fixerTurns.push({ attempt, failing, recognized, answered: fix ? 'fixed' : 'broken' });
    return {
      files: [{ path: app.path, content: fix ? app.fixed : app.broken }],
      diagnosis: failing.map((f) => ({
        test: f.name,
        files: [app!.path],
        cause: fix
          ? 'DELETE answered 200 with a body; a deletion answers 204 with no body'
          : 'no cause found',
      })),
    };
  }

  const server = await startFakeOpenAIServer({
    knownModels: [CODER_MODEL, FIXER_MODEL],
    defaultReply: reply.json((request) => {
      if (request.model === CODER_MODEL) return coderTurn(request);
      if (request.model === FIXER_MODEL) return fixerTurn(request);
      throw new Error(`scripted session: no script for model ${request.model}`);
    }),
  });
  const configDir = mkdtempSync(join(tmpdir(), 'ideamine-scripted-'));
  writeFileSync(join(configDir, 'build.yaml'), phaseFile('build', coder.id, CODER_MODEL));
  writeFileSync(
    join(configDir, `${options.fixerPhase}.yaml`),
    phaseFile(options.fixerPhase, fixerId, FIXER_MODEL),
  );
  return {
    server,
    configDir,
    attach: (next) => {
      db = next;
    },
    fixerTurns,
    app: () => app,
    async close() {
      await server.close();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
