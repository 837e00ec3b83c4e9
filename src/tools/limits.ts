import { basename } from 'node:path';
import type { ToolLimits } from './tool.ts';

/**
 * Memory limits with prlimit, for Node and for everything else.
 *
 * Measured with Node 24.21.0 on Linux 6.x: a bare `node -e 1` reserves ~1.27 GB of address space
 * (VmSize) of which ~575 MB is writable (VmData: mostly V8's code range) and only ~42 MB is resident;
 * each worker thread adds ~540 MB of VmData. So:
 * - RLIMIT_AS (`prlimit --as`) alone is the wrong knob: Node aborts at start below ~1.15 GB ("Failed
 *   to reserve virtual memory for CodeRange") and, above it, the reservations leave an unpredictable
 *   share for real allocations (a 256 MB heap cap + 1.28 GB of AS killed the heap at 200 MB).
 * - The JS heap is capped by V8 itself: `--max-old-space-size=<memoryMb>` in NODE_OPTIONS, which every
 *   Node child inherits (`node --test` runs each test file in its own process; the acceptance driver
 *   starts the app). A heap hog dies with "Reached heap limit ... JavaScript heap out of memory".
 * - Memory outside the heap (Buffers, native allocations) is capped by RLIMIT_DATA, which counts
 *   writable private mappings, not PROT_NONE reservations: memoryMb + NODE_RESERVE_MB. With 1024 MB
 *   of reserve a Buffer hog under a 256 MB budget stopped at ~750 MB resident: bounded, and the
 *   allocation fails inside the tool ("Failed to allocate memory"), never on the host.
 * - RLIMIT_AS stays as a generous backstop for what RLIMIT_DATA does not count (shared mappings).
 * rlimits are per process: a tool that forks N processes may use N times the budget. A cgroup would
 * bound the tree; we do not require one, since containers rarely delegate the memory controller.
 */

export const NODE_RESERVE_MB = 1024;
const ADDRESS_SPACE_BACKSTOP_MB = 8192;

export function isNodeCommand(command: string, nodePath: string): boolean {
  return command === nodePath || basename(command) === 'node';
}

export function computeLimits(
  timeoutMs: number,
  memoryMb: number,
  node: boolean,
  nodeReserveMb = NODE_RESERVE_MB,
): ToolLimits {
  const dataMb = node ? memoryMb + nodeReserveMb : memoryMb;
  return {
    timeoutMs,
    memoryMb,
    ...(node ? { heapMb: memoryMb } : {}),
    dataMb,
    addressSpaceMb: dataMb + ADDRESS_SPACE_BACKSTOP_MB,
  };
}

/** The same limits without RLIMIT_AS, for a plan that asks for `addressSpace: 'unbounded'` (Chromium). */
export function withoutAddressSpaceLimit(limits: ToolLimits): ToolLimits {
  const { addressSpaceMb: _dropped, ...rest } = limits;
  return rest;
}

export function prlimitArgs(prlimitPath: string, limits: ToolLimits): string[] {
  const mb = (n: number): string => String(n * 1024 * 1024);
  const as = limits.addressSpaceMb === undefined ? [] : [`--as=${mb(limits.addressSpaceMb)}`];
  return [prlimitPath, `--data=${mb(limits.dataMb)}`, ...as, '--'];
}

/** What Node, V8, libc and common runtimes print when an allocation fails. */
const OUT_OF_MEMORY =
  /JavaScript heap out of memory|Fatal process out of memory|Failed to allocate memory|Array buffer allocation failed|Cannot allocate memory|std::bad_alloc|MemoryError|ENOMEM/;

export function looksOutOfMemory(stderr: string, stdout: string): boolean {
  return OUT_OF_MEMORY.test(stderr) || OUT_OF_MEMORY.test(stdout);
}
