import { describe, expect, it } from 'vitest';
import { createLimitedFetch } from './limited-fetch.ts';

function streamOf(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ >= chunks) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(120));
    },
  });
}

describe('limited fetch', () => {
  it('passes bodies under the limit through unchanged', async () => {
    const limited = createLimitedFetch(1024, 'm', async () => new Response('{"ok":true}', { status: 201 }));
    const response = await limited('http://127.0.0.1/x');
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('rejects a streamed body (no content-length) once it passes the limit', async () => {
    const limited = createLimitedFetch(1000, 'm', async () => new Response(streamOf(10, 300)));
    await expect(limited('http://127.0.0.1/x')).rejects.toMatchObject({
      errorClass: 'schema',
      details: { reason: 'response_too_large', maxBytes: 1000 },
    });
  });

  it('rejects a declared content-length over the limit without reading it', async () => {
    const limited = createLimitedFetch(
      10,
      'm',
      async () => new Response('x'.repeat(100), { headers: { 'content-length': '100' } }),
    );
    await expect(limited('http://127.0.0.1/x')).rejects.toThrow(/exceeds 10 bytes/);
  });
});
