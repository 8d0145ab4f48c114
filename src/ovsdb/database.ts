// The in-memory database: tables of immutable rows, the unique indexes, and the counts of strong
// references to each row. Transactions (transaction.ts) compute a set of row changes against it; commit()
// applies them and tells the listeners (monitors, storage).

import type { Datum } from './datum.js';
import type { DatabaseSchema, TableSchema } from './schema.js';
import type { ColumnType } from './types.js';
import { newUuid } from './uuid.js';

/** An immutable row: its UUID, its version (a fresh UUID at every change), and one datum per column. */
export interface Row {
  readonly uuid: string;
  readonly version: string;
  readonly data: readonly Datum[];
}

/** The change to one row in a transaction: old is null for an insert, new is null for a delete. */
export interface RowChange {
  readonly old: Row | null;
  new: Row | null;
}

/** The changes of one transaction: table name → row UUID → change. */
export type Changes = Map<string, Map<string, RowChange>>;

/** A committed transaction, as storage and monitors see it. */
export interface CommittedTxn {
  /** The transaction's id (a UUID), used by monitor_cond_since. */
  readonly id: string;
  readonly changes: Changes;
  readonly comment: string | undefined;
  readonly durable: boolean;
}

/** A row's values in one unique index: the atom itself for one single-atom column, else a JSON text. */
export type IndexKey = string | number | boolean;

/**
 * The key of a row's values in one unique index. One atom stands for itself (no string is built: most
 * indexes are a single name column), except a string starting with "[", which could equal a JSON text.
 */
export function indexKey(row: Row, columns: readonly number[]): IndexKey {
  if (columns.length === 1) {
    const d = row.data[columns[0]];
    const a = d.keys[0];
    if (d.values === null && d.keys.length === 1 && !(typeof a === 'string' && a.startsWith('['))) return a;
  }
  let key = '';
  for (const c of columns) {
    const d = row.data[c];
    key += JSON.stringify(d.keys);
    if (d.values !== null) key += JSON.stringify(d.values);
    key += '|';
  }
  return key;
}

/** One table's rows and unique indexes. */
export class Table {
  readonly rows = new Map<string, Row>();
  /** One map per schema index: index key → UUID of the row holding it. */
  readonly indexes: Map<IndexKey, string>[];

  constructor(readonly schema: TableSchema) {
    this.indexes = schema.indexes.map(() => new Map());
  }

  /** Adds or replaces a row, keeping the indexes current. */
  put(row: Row): void {
    const old = this.rows.get(row.uuid);
    if (old !== undefined) this.unindex(old);
    this.rows.set(row.uuid, row);
    this.schema.indexes.forEach((cols, i) => {
      this.indexes[i].set(indexKey(row, cols), row.uuid);
    });
  }

  /** Removes a row. */
  remove(uuid: string): void {
    const old = this.rows.get(uuid);
    if (old === undefined) return;
    this.unindex(old);
    this.rows.delete(uuid);
  }

  private unindex(row: Row): void {
    this.schema.indexes.forEach((cols, i) => {
      const key = indexKey(row, cols);
      if (this.indexes[i].get(key) === row.uuid) this.indexes[i].delete(key);
    });
  }
}

/** Called after every commit, in commit order. */
export type CommitListener = (txn: CommittedTxn) => void;

/** A database: a schema, its tables, reference counts and commit listeners. */
export class Database {
  readonly tables = new Map<string, Table>();
  /** Number of strong references to each row that has any. */
  readonly refCounts = new Map<string, number>();
  /** Id of the last committed transaction (a fresh UUID when the database is loaded). */
  lastTxnId: string = newUuid();
  private readonly listeners = new Set<CommitListener>();

  constructor(readonly schema: DatabaseSchema) {
    for (const t of schema.tables.values()) this.tables.set(t.name, new Table(t));
  }

  /** The table named `name` (which must exist in the schema). */
  table(name: string): Table {
    const t = this.tables.get(name);
    if (t === undefined) throw new Error(`no table ${name}`);
    return t;
  }

  /** The number of strong references to a row. */
  refCount(uuid: string): number {
    return this.refCounts.get(uuid) ?? 0;
  }

  /** Registers a commit listener; returns a function that unregisters it. */
  onCommit(fn: CommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Applies a checked set of changes and tells the listeners. */
  commit(changes: Changes, comment?: string, durable = false, id: string = newUuid()): CommittedTxn {
    for (const [tname, rows] of changes) {
      const table = this.table(tname);
      for (const [uuid, ch] of rows) {
        if (ch.old !== null) this.adjustRefs(table.schema, ch.old, -1);
        if (ch.new !== null) {
          this.adjustRefs(table.schema, ch.new, +1);
          table.put(ch.new);
        } else {
          table.remove(uuid);
        }
      }
    }
    this.lastTxnId = id;
    const txn: CommittedTxn = { id, changes, comment, durable };
    for (const fn of this.listeners) fn(txn);
    return txn;
  }

  private adjustRefs(schema: TableSchema, row: Row, delta: number): void {
    if (!schema.hasRefs) return;
    forEachStrongRef(schema, row, (uuid) => {
      const n = (this.refCounts.get(uuid) ?? 0) + delta;
      if (n === 0) this.refCounts.delete(uuid);
      else this.refCounts.set(uuid, n);
    });
  }
}

/** Calls `fn` for each strong reference a row holds (once per occurrence; references to itself don't count). */
export function forEachStrongRef(
  schema: TableSchema,
  row: Row,
  fn: (uuid: string, table: string) => void,
): void {
  for (const c of schema.columns) forEachStrongRefIn(c.type, row.data[c.index], row.uuid, fn);
}

/** Calls `fn` for each strong reference in one column value, skipping references to `self`. */
export function forEachStrongRefIn(
  type: ColumnType,
  d: Datum,
  self: string,
  fn: (uuid: string, table: string) => void,
): void {
  const { key, value } = type;
  if (key.refTable !== undefined && key.refType !== 'weak') {
    for (const k of d.keys) if (k !== self) fn(k as string, key.refTable);
  }
  if (value?.refTable !== undefined && value.refType !== 'weak' && d.values !== null) {
    for (const v of d.values) if (v !== self) fn(v as string, value.refTable);
  }
}
