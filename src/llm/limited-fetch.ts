import { ErrorClass, ErrorCode, IdeaMineError } from '../core/errors.ts';

/**
 * A `fetch` for the AI SDK providers that refuses response bodies over `maxBytes`. A model stuck in
 * a repetition loop can stream megabytes; buffering it all would only end in a schema failure, after
 * burning memory. The largest real structured answer we expect is ~100k tokens ≈ 400 KB, so the
 * default limit (4 MiB, see ai-sdk-model.ts) leaves a wide margin.
 *
 * An oversized answer counts as a schema failure (errorClass `schema`, reason `response_too_large`):
 * the output broke the contract, and a retry (or a lower rung of the fallback ladder) may succeed.
 */
export function createLimitedFetch(
  maxBytes: number,
  modelId: string,
  base: typeof globalThis.fetch = globalThis.fetch,
): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge(modelId, maxBytes, declared);
    }
    if (!response.body) return response;
    const body = await readAtMost(response.body, maxBytes, modelId);
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  modelId: string,
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(modelId, maxBytes, total);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(new ArrayBuffer(total));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function tooLarge(modelId: string, maxBytes: number, seenBytes: number): IdeaMineError {
  return new IdeaMineError(
    ErrorCode.modelError,
    `${modelId}: response body exceeds ${maxBytes} bytes (saw at least ${seenBytes}); refusing to parse it`,
    {
      errorClass: ErrorClass.schema,
      details: { model: modelId, reason: 'response_too_large', maxBytes, seenBytes },
    },
  );
}
