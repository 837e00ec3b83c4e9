import { PGlite } from '@electric-sql/pglite';

/**
 * Server settings of every embedded cluster, as `-c name=value` start parameters (PGlite's own defaults
 * first, so single-user mode and its other flags stay).
 *
 * shared_buffers: initdb writes 128MB, and the buffer pool is allocated and zeroed inside the WASM heap
 * at start, so every process paid 120 MB of resident memory and close to a second of start-up for a
 * pool an IdeaMine home (a few MB of data) never fills. Measured on a template copy: RSS after open
 * 267 MB at 128MB, 146 MB at 16MB. Pages beyond the pool are read through the OS page cache.
 */
export const PGLITE_SETTINGS: readonly string[] = ['shared_buffers=16MB'];

export function pgliteStartParams(): string[] {
  return [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((setting) => ['-c', setting])];
}
