/** Shared between bench/b6-recovery.ts and the worker processes it starts. */
export interface RecoveryWorkerSettings {
  system: 'ideamine-pg' | 'bullmq-redis';
  pgUrl: string;
  schema: string;
  redisUrl: string;
  redisPrefix: string;
  concurrency: number;
  taskMs: number;
  leaseMs: number;
  heartbeatMs: number;
}

export const RECOVERY_TASK = 'bench.recovery';
