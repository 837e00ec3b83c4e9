import { storeOf } from '../subjects/registry.ts';
import type { SubjectEnv } from '../subjects/subject.ts';
import type { BenchContext } from './context.ts';
import { CpuWindow } from './cpu.ts';
import { uniqueSuffix } from './pg-admin.ts';

export function subjectEnv(ctx: BenchContext): SubjectEnv {
  return { pgUrl: ctx.pgUrl, redisUrl: ctx.redisUrl, redisPrefix: ctx.redisPrefix, suffix: uniqueSuffix() };
}

interface RedisInfo {
  info(section: string): Promise<string>;
  disconnect(): void;
}

/** Starts the CPU window that fits the subject's store (Postgres backends, Redis, or in-process only). */
export async function cpuWindowFor(
  ctx: BenchContext,
  system: string,
): Promise<{ window: CpuWindow; close: () => void }> {
  const store = storeOf(system);
  if (store === 'redis') {
    const { Redis } = await import('ioredis');
    const redis: RedisInfo = new Redis(ctx.redisUrl, { maxRetriesPerRequest: 2 });
    const window = await CpuWindow.start({ redis });
    return { window, close: () => redis.disconnect() };
  }
  if (store === 'postgres') {
    return {
      window: await CpuWindow.start({ adminUrl: ctx.adminUrl, datname: ctx.benchDb }),
      close: () => {},
    };
  }
  return { window: await CpuWindow.start(), close: () => {} };
}
