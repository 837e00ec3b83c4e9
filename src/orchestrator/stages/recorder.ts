import { appendLedgerEntries } from '../../observability/ledger.ts';
import type { Database, Queryable } from '../../storage/database.ts';
import { emitAll } from '../events.ts';
import type { StageRecord } from './context.ts';

/**
 * The one place a phase's stages write their ledger entries and events: in the transaction given
 * (the step's commit, so the record and the step's stored result commit together) or in one of its
 * own. Ledger entries first, then the events, each in the order the stage listed them: one statement
 * for the ledger entries (they extend the run's hash chain in that order) and one for the events.
 */
export async function recordStage(db: Database, tx: Queryable, record: StageRecord): Promise<void> {
  if (record.ledger && record.ledger.length > 0) await appendLedgerEntries(tx, record.ledger);
  if (record.events && record.events.length > 0) await emitAll(db, tx, record.events);
}

/** Records in a transaction of its own (for what a stage reports outside any step commit). */
export async function recordStageNow(db: Database, record: StageRecord): Promise<void> {
  await db.transaction((tx) => recordStage(db, tx, record));
}
