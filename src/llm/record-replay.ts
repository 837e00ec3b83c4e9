import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';
import { hashOf, sha256 } from '../core/ids.ts';
import type { Model, ModelRequest, ModelResponse } from './model.ts';
import { throwIfAborted } from './model-errors.ts';

/**
 * Record/replay of model calls, so a run against a real (or fake) provider can be reproduced in tests
 * with no network. The file is JSON lines, one successful call per line:
 *   { key, request: <summary>, response: ModelResponse }
 * The key hashes what determines an answer: agent, system, prompt, output schema (as JSON Schema) and
 * temperature. Failed calls are not recorded: replay reproduces runs, not outages.
 */

export const REPLAY_MODEL_ID = 'replay';
const PREVIEW_CHARS = 200;

export interface RecordedCall {
  key: string;
  request: {
    agent: string;
    model: string;
    temperature?: number;
    systemSha256: string;
    promptSha256: string;
    /** The head of the prompt, to tell calls apart when a replay misses. */
    promptPreview: string;
  };
  response: ModelResponse<unknown>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * The ids in a prompt (artifact, run and frame ids) are new in every run, so they cannot be part of
 * the key as such. They are numbered by first appearance — `⟦id:1⟧`, `⟦id:2⟧` — which a
 * deterministic run reproduces exactly. Answers are stored with the same placeholders and get the
 * replaying run's ids back, so citations still resolve.
 */
export function idsIn(request: Pick<ModelRequest<unknown>, 'system' | 'prompt'>): string[] {
  const seen: string[] = [];
  for (const id of `${request.system}\n${request.prompt}`.match(UUID) ?? []) {
    const lower = id.toLowerCase();
    if (!seen.includes(lower)) seen.push(lower);
  }
  return seen;
}

function toPlaceholders(text: string, ids: readonly string[]): string {
  return text.replace(UUID, (id) => {
    const index = ids.indexOf(id.toLowerCase());
    return index < 0 ? id : `⟦id:${index + 1}⟧`;
  });
}

function fromPlaceholders(text: string, ids: readonly string[]): string {
  return text.replace(/⟦id:(\d+)⟧/g, (whole, n: string) => ids[Number(n) - 1] ?? whole);
}

/** The replay key of a request. */
export function callKey(request: ModelRequest<unknown>): string {
  const schema = z.toJSONSchema(request.schema, { unrepresentable: 'any' });
  const ids = idsIn(request);
  return hashOf(
    { id: request.agent.id, version: request.agent.version },
    toPlaceholders(request.system, ids),
    toPlaceholders(request.prompt, ids),
    schema,
    request.temperature ?? null,
  );
}

/** Passes calls to `inner` and appends each successful one to `file`. */
export function createRecordingModel(inner: Model, file: string): Model {
  // Appends are chained so concurrent calls never interleave half-written lines.
  let writes: Promise<unknown> = mkdir(dirname(file), { recursive: true });
  return {
    id: inner.id,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      const response = await inner.generate(request);
      const ids = idsIn(request);
      const stored = JSON.parse(toPlaceholders(JSON.stringify(response), ids)) as ModelResponse<unknown>;
      const line: RecordedCall = {
        key: callKey(request),
        request: summarise(request, inner.id),
        response: stored,
      };
      const write = writes.then(() => appendFile(file, `${JSON.stringify(line)}\n`, 'utf8'));
      writes = write.catch(() => {});
      await write;
      return response;
    },
  };
}

/**
 * Answers from a recording, never from the network. A key recorded several times answers in
 * recorded order and then repeats its last answer, so retried or repeated calls replay faithfully.
 */
export function createReplayModel(file: string): Model {
  let loaded: Promise<Map<string, RecordedCall[]>> | undefined;
  const served = new Map<string, number>();
  return {
    id: REPLAY_MODEL_ID,
    async generate<O>(request: ModelRequest<O>): Promise<ModelResponse<O>> {
      throwIfAborted(request.signal);
      loaded ??= load(file);
      const calls = await loaded;
      const key = callKey(request);
      const recorded = calls.get(key);
      if (!recorded || recorded.length === 0) throw notRecorded(file, key, request);
      const index = served.get(key) ?? 0;
      served.set(key, index + 1);
      const recordedCall = recorded[Math.min(index, recorded.length - 1)]!;
      const call = {
        ...recordedCall,
        response: JSON.parse(
          fromPlaceholders(JSON.stringify(recordedCall.response), idsIn(request)),
        ) as ModelResponse<unknown>,
      };
      const parsed = request.schema.safeParse(call.response.output);
      if (!parsed.success)
        throw replayError(
          `recorded output for ${request.agent.id} no longer matches its schema`,
          file,
          'stale',
          key,
        );
      return { ...call.response, output: parsed.data };
    },
  };
}

function summarise(request: ModelRequest<unknown>, model: string): RecordedCall['request'] {
  return {
    agent: `${request.agent.id}@${request.agent.version}`,
    model,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    systemSha256: sha256(request.system),
    promptSha256: sha256(request.prompt),
    promptPreview: request.prompt.slice(0, PREVIEW_CHARS),
  };
}

async function load(file: string): Promise<Map<string, RecordedCall[]>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw replayError(
      `cannot read the recording: ${(error as Error).message}`,
      file,
      'unreadable',
      undefined,
      error,
    );
  }
  const calls = new Map<string, RecordedCall[]>();
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let call: RecordedCall;
    try {
      call = JSON.parse(line) as RecordedCall;
    } catch (error) {
      throw replayError(`line ${index + 1} is not valid JSON`, file, 'unreadable', undefined, error);
    }
    const list = calls.get(call.key) ?? [];
    list.push(call);
    calls.set(call.key, list);
  }
  return calls;
}

function notRecorded(file: string, key: string, request: ModelRequest<unknown>): IdeaMineError {
  return replayError(
    `no recorded call for agent ${request.agent.id}@${request.agent.version} (prompt starts ` +
      `${JSON.stringify(request.prompt.slice(0, 60))}); re-record with a real model to update the file`,
    file,
    'not_recorded',
    key,
  );
}

function replayError(
  message: string,
  file: string,
  reason: 'not_recorded' | 'unreadable' | 'stale',
  key?: string,
  cause?: unknown,
): IdeaMineError {
  return new IdeaMineError(ErrorCode.modelError, `replay (${file}): ${message}`, {
    errorClass: ErrorClass.fatal,
    details: { model: REPLAY_MODEL_ID, reason, file, ...(key ? { key } : {}) },
    cause,
  });
}
