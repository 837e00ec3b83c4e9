import type { QueueSubject, SubjectEnv } from './subject.ts';

/**
 * Every queue subject by name. Peers are imported lazily so that a benchmark that runs only
 * IdeaMine does not load (or register with) DBOS, BullMQ and friends.
 */
export const QUEUE_SUBJECTS = [
  'ideamine-pg',
  'ideamine-pglite',
  'graphile-worker',
  'pg-boss',
  'bullmq-redis',
  'bullmq-pg',
  'dbos',
] as const;
export type QueueSubjectName = (typeof QUEUE_SUBJECTS)[number];

export async function makeQueueSubject(name: QueueSubjectName, env: SubjectEnv): Promise<QueueSubject> {
  switch (name) {
    case 'ideamine-pg':
    case 'ideamine-pglite': {
      const { IdeaMineSubject } = await import('./ideamine.ts');
      return new IdeaMineSubject(name === 'ideamine-pg' ? 'postgres' : 'pglite', env);
    }
    case 'graphile-worker': {
      const { GraphileSubject } = await import('./graphile.ts');
      return new GraphileSubject(env);
    }
    case 'pg-boss': {
      const { PgBossSubject } = await import('./pgboss.ts');
      return new PgBossSubject(env);
    }
    case 'bullmq-redis':
    case 'bullmq-pg': {
      const { BullSubject } = await import('./bullmq.ts');
      return new BullSubject(name === 'bullmq-redis' ? 'redis' : 'postgres', env);
    }
    case 'dbos': {
      const { DbosSubject } = await import('./dbos.ts');
      return new DbosSubject(env);
    }
  }
}

/** Which backing store a subject uses, for attributing server CPU. */
export function storeOf(name: string): 'postgres' | 'redis' | 'embedded' {
  if (name === 'bullmq-redis') return 'redis';
  if (name === 'ideamine-pglite') return 'embedded';
  return 'postgres';
}
