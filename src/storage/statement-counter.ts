import type { Database, Queryable, Row } from './database.ts';

/**
 * Counts the statements a piece of work sends to the database, by shape (the SQL with whitespace
 * collapsed and repeated parameter lists folded) and by caller (the first stack frame outside
 * storage/ and queue/, i.e. the code that asked a repository for it). For measurement only: the
 * bench builds its runtime with `countingDatabase`; nothing wraps the database when not measuring.
 */

export interface ShapeCount {
  shape: string;
  count: number;
  /** Callers of this shape, most frequent first. */
  callers: { caller: string; count: number }[];
}

export interface StatementCounts {
  /** Statements sent with `query` (each is one round trip). */
  statements: number;
  /** Transactions opened (each adds BEGIN and COMMIT/ROLLBACK round trips on Postgres). */
  transactions: number;
  /** Multi-statement scripts sent with `exec` (migrations). */
  scripts: number;
  byShape: ShapeCount[];
  byCaller: { caller: string; count: number }[];
}

export interface StatementCounter {
  counts(): StatementCounts;
  reset(): void;
}

/** Folds a statement to its shape: same statement, same shape, whatever its parameters. */
export function statementShape(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\$\d+/g, '$n')
    .replace(/\(\$n(, \$n)*\)(, \(\$n(, \$n)*\))+/g, '($n, …), …')
    .trim();
}

const OWN_FRAMES = /[\\/](storage|queue)[\\/]|node:internal|node_modules|statement-counter/;

function callerOf(stack: string | undefined): string {
  for (const line of (stack ?? '').split('\n').slice(1)) {
    if (OWN_FRAMES.test(line)) continue;
    const at = /\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/.exec(line.trim());
    if (!at) continue;
    const file = (at[1] ?? '').replace(/^file:\/\//, '');
    const src = file.lastIndexOf('/src/');
    return `${src >= 0 ? file.slice(src + 1) : file}:${at[2]}`;
  }
  return 'unknown';
}

export function countingDatabase(db: Database): { db: Database; counter: StatementCounter } {
  const shapes = new Map<string, Map<string, number>>();
  let statements = 0;
  let transactions = 0;
  let scripts = 0;
  const record = (sql: string) => {
    statements += 1;
    const shape = statementShape(sql);
    const callers = shapes.get(shape) ?? new Map<string, number>();
    const caller = callerOf(new Error().stack);
    callers.set(caller, (callers.get(caller) ?? 0) + 1);
    shapes.set(shape, callers);
  };
  const wrap = (q: Queryable): Queryable => ({
    query: <R extends Row = Row>(sql: string, params?: readonly unknown[]) => {
      record(sql);
      return q.query<R>(sql, params);
    },
    exec: (sql: string) => {
      scripts += 1;
      return q.exec(sql);
    },
  });
  const plain = wrap(db);
  const counted: Database = {
    driver: db.driver,
    capabilities: db.capabilities,
    location: db.location,
    query: plain.query,
    exec: plain.exec,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => {
      transactions += 1;
      return db.transaction((tx) => fn(wrap(tx)));
    },
    listen: (channel, onMessage) => db.listen(channel, onMessage),
    channel: (name) => db.channel(name),
    close: () => db.close(),
  };
  const sorted = (m: Map<string, number>) =>
    [...m].map(([caller, count]) => ({ caller, count })).sort((a, b) => b.count - a.count);
  return {
    db: counted,
    counter: {
      counts() {
        const byCaller = new Map<string, number>();
        const byShape: ShapeCount[] = [];
        for (const [shape, callers] of shapes) {
          let count = 0;
          for (const [caller, n] of callers) {
            count += n;
            byCaller.set(caller, (byCaller.get(caller) ?? 0) + n);
          }
          byShape.push({ shape, count, callers: sorted(callers) });
        }
        byShape.sort((a, b) => b.count - a.count);
        return { statements, transactions, scripts, byShape, byCaller: sorted(byCaller) };
      },
      reset() {
        shapes.clear();
        statements = 0;
        transactions = 0;
        scripts = 0;
      },
    },
  };
}
