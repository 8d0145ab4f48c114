// Durable storage of one database in Open vSwitch's standalone file format: loads a Database by
// replaying the log (schema record, then transaction records, with or without "_is_diff"), writes each
// committed transaction as one record, and compacts the file (schema + one record of every row).

import type { JsonObject } from '../jsonrpc/json.js';
import { type Changes, type CommittedTxn, Database, type Row } from './database.js';
import { applyDatumDiff, datumFromJson, datumToJson, defaultDatum, diffFromJson } from './datum.js';
import { DbLog, type DbLogOpenOptions, type TornTail } from './log.js';
import { makeTxnRecord, parseTxnRecord, type RowTxn, type TxnRecord } from './log-records.js';
import { type DatabaseSchema, parseSchema, type TableSchema } from './schema.js';
import type { Storage } from './server.js';
import { newUuid } from './uuid.js';

/** A database loaded from a file, with the records it was read from. */
export interface LoadedDatabase {
  readonly db: Database;
  /** The schema record as stored in the file (written back unchanged when compacting). */
  readonly schemaJson: JsonObject;
  /** Number of records in the file (schema included). */
  readonly records: number;
}

/** Builds a Database from the records of a standalone log. */
export function loadRecords(records: readonly JsonObject[]): LoadedDatabase {
  if (records.length === 0) throw new Error('database file holds no schema record');
  const schemaJson = records[0];
  const db = new Database(parseSchema(schemaJson));
  for (let i = 1; i < records.length; i++) {
    const rec = parseTxnRecord(records[i]);
    db.commit(recordChanges(db, rec));
  }
  return { db, schemaJson, records: records.length };
}

/** The row changes a transaction record describes, against the current contents of `db`. */
export function recordChanges(db: Database, rec: TxnRecord): Changes {
  const changes: Changes = new Map();
  for (const [tname, rows] of rec.tables) {
    const table = db.tables.get(tname);
    if (table === undefined) throw new Error(`log record names unknown table ${tname}`);
    const out = new Map<string, { old: Row | null; new: Row | null }>();
    for (const [uuid, rowJson] of rows) {
      const old = table.rows.get(uuid) ?? null;
      if (rowJson === null) {
        if (old !== null) out.set(uuid, { old, new: null });
        continue;
      }
      const data = old === null ? table.schema.columns.map((c) => defaultDatum(c.type)) : old.data.slice();
      for (const [cname, value] of Object.entries(rowJson)) {
        const c = table.schema.column(cname);
        if (c === undefined) throw new Error(`log record names unknown column ${tname}.${cname}`);
        data[c.index] =
          old !== null && rec.isDiff
            ? applyDatumDiff(c.type, old.data[c.index], diffFromJson(c.type, value))
            : datumFromJson(c.type, value);
      }
      out.set(uuid, { old, new: { uuid, version: newUuid(), data } });
    }
    changes.set(tname, out);
  }
  return changes;
}

/** A row as an insert in a log record: the persistent columns that do not hold their default. */
function insertJson(schema: TableSchema, row: Row): JsonObject {
  const out: JsonObject = {};
  for (const c of schema.columns) {
    if (c.ephemeral) continue;
    const d = row.data[c.index];
    if (!d.equals(defaultDatum(c.type))) out[c.name] = datumToJson(c.type, d);
  }
  return out;
}

/** The log record of a committed transaction (full values of changed columns), or null if nothing persists. */
export function txnRecord(schema: DatabaseSchema, txn: CommittedTxn): JsonObject | null {
  const tables = new Map<string, Map<string, RowTxn>>();
  for (const [tname, rows] of txn.changes) {
    const ts = schema.table(tname) as TableSchema;
    const out = new Map<string, RowTxn>();
    for (const [uuid, ch] of rows) {
      if (ch.new === null) out.set(uuid, null);
      else if (ch.old === null) out.set(uuid, insertJson(ts, ch.new));
      else {
        const changed: JsonObject = {};
        for (const c of ts.columns) {
          if (c.ephemeral || ch.old.data[c.index].equals(ch.new.data[c.index])) continue;
          changed[c.name] = datumToJson(c.type, ch.new.data[c.index]);
        }
        if (Object.keys(changed).length > 0) out.set(uuid, changed);
      }
    }
    if (out.size > 0) tables.set(tname, out);
  }
  if (tables.size === 0) return null;
  return makeTxnRecord({ tables, comment: txn.comment });
}

/** One record inserting every row of `db` (what compaction writes after the schema). */
export function snapshotRecord(db: Database, comment: string): JsonObject {
  const tables = new Map<string, Map<string, RowTxn>>();
  for (const t of db.tables.values()) {
    if (t.rows.size === 0) continue;
    const rows = new Map<string, RowTxn>();
    for (const row of t.rows.values()) rows.set(row.uuid, insertJson(t.schema, row));
    tables.set(t.schema.name, rows);
  }
  return makeTxnRecord({ tables, comment });
}

/** Options of FileStorage.open. */
export interface FileStorageOptions {
  /** Told about a torn last record that was cut off on open. */
  readonly onTornTail?: (tail: TornTail) => void;
  readonly onWarning?: (message: string) => void;
}

/** A database file: the Database loaded from it, kept current by writing every commit. */
export class FileStorage implements Storage {
  private constructor(
    readonly path: string,
    readonly log: DbLog,
    readonly db: Database,
    private readonly schemaJson: JsonObject,
  ) {}

  /** Opens (and locks) a database file and loads its contents. */
  static async open(path: string, opts: FileStorageOptions = {}): Promise<FileStorage> {
    const logOpts: DbLogOpenOptions = { onTornTail: opts.onTornTail, onWarning: opts.onWarning };
    const { log, records } = await DbLog.open(path, logOpts);
    try {
      const loaded = loadRecords(records);
      return new FileStorage(path, log, loaded.db, loaded.schemaJson);
    } catch (err) {
      await log.close();
      throw err;
    }
  }

  /** Writes a committed transaction; resolves once it is durable. Compacts when the log has grown. */
  async write(txn: CommittedTxn): Promise<void> {
    const rec = txnRecord(this.db.schema, txn);
    if (rec === null) return;
    await this.log.append([rec]);
    if (this.log.grewLots()) await this.compact('compacting database online');
  }

  /** Replaces the file by the schema and one record of every row, atomically. */
  compact(comment = 'compacting database online'): Promise<void> {
    return this.log.replace([this.schemaJson, snapshotRecord(this.db, comment)]);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
