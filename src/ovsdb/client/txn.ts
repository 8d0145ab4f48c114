// Transactions built against a Replica with optimistic concurrency, like Open vSwitch's IDL: reads made
// through the transaction are recorded and verified at commit with "wait" operations (timeout 0, until
// "=="); writes become insert/update/delete/mutate operations. transact() re-runs the caller's function
// when a verification fails because another client changed what was read ("try again").

import { isJsonObject, type Json, type JsonObject } from '../../jsonrpc/json.js';
import { Datum, datumToJson, defaultDatum, makeDatum } from '../datum.js';
import type { TableSchema } from '../schema.js';
import type { Atom, ColumnType } from '../types.js';
import { newUuid } from '../uuid.js';
import { OvsdbProtocolError } from './connection.js';
import { type Replica, type ReplicaRow, RowReader } from './replica.js';

/** A value to write: a Datum, a single atom, a set's elements, or a map. */
export type DatumInput = Datum | Atom | readonly Atom[] | ReadonlyMap<Atom, Atom>;

/** The mutators of RFC 7047 §5.1. */
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';

/** A failed transaction: `code` is the OVSDB error ("constraint violation", …), `error` the error object. */
export class OvsdbTxnError extends Error {
  constructor(
    /** The OVSDB error name, or 'try again' when retries ran out. */
    readonly code: string,
    /** The error object of the failing operation (or of the commit). */
    readonly error: JsonObject,
    /** The whole result array of the transact reply. */
    readonly results: readonly Json[],
  ) {
    super(typeof error.details === 'string' ? `${code}: ${error.details}` : code);
    this.name = 'OvsdbTxnError';
  }
}

/** A misuse of the transaction API (unknown column, writing a deleted row, …); code 'txn misuse'. */
export class TxnUsageError extends Error {
  readonly code = 'txn misuse';
}

/** The outcome of a commit that did not fail. */
export interface TxnResult {
  /** 'success', 'unchanged' (nothing to send), or 'try again' (a verified column changed meanwhile). */
  readonly status: 'success' | 'unchanged' | 'try again';
  /** Temporary UUIDs of inserted rows → their real UUIDs. */
  readonly inserted: ReadonlyMap<string, string>;
  /** The transact reply's result array (empty when nothing was sent). */
  readonly results: readonly Json[];
}

/** Converts a DatumInput to a Datum of column type `type`. */
export function toDatum(type: ColumnType, value: DatumInput): Datum {
  if (value instanceof Datum) return value;
  if (value instanceof Map) return makeDatum([...value.keys()], [...value.values()]);
  if (Array.isArray(value)) return makeDatum([...value], type.value === null ? null : []);
  return makeDatum([value as Atom], type.value === null ? null : []);
}

const UNLIMITED = Number.POSITIVE_INFINITY;

/** One row as a transaction sees it: the replica's values overlaid with this transaction's writes; the
 * RowReader helpers (string(), map(), …) read through get(), so they record what they read too. */
export class TxnRow extends RowReader {
  /** Columns written by set(). */
  readonly written = new Map<string, Datum>();
  /** Columns read through get(), with the value seen (verified at commit). */
  readonly read = new Map<string, Datum>();
  /** Mutations, in call order. */
  readonly mutations: Json[] = [];
  private isDeleted = false;

  constructor(
    private readonly txn: Transaction,
    readonly table: TableSchema,
    /** The row's UUID (for inserted rows, a temporary one until commit). */
    readonly uuid: string,
    /** The replica's row, or null for a row this transaction inserts. */
    readonly base: ReplicaRow | null,
  ) {
    super();
  }

  /** True for a row inserted by this transaction. */
  get inserted(): boolean {
    return this.base === null;
  }

  /** True once delete() was called. */
  get deleted(): boolean {
    return this.isDeleted;
  }

  /** The column's value as this transaction sees it; reading a replica value records it for verification. */
  get(column: string): Datum {
    const type = this.columnType(column);
    const written = this.written.get(column);
    if (written !== undefined) return written;
    if (this.base === null) return defaultDatum(type);
    const value = this.base.data.get(column);
    if (value === undefined)
      throw new TxnUsageError(`${this.table.name}.${column} is not replicated, so it cannot be read`);
    if (!this.read.has(column)) this.read.set(column, value);
    return value;
  }

  /** Records `column` for verification without using its value (OVS's ovsdb_idl_txn_verify). */
  verify(column: string): void {
    if (this.base !== null && !this.written.has(column)) this.get(column);
  }

  /** Writes a column. */
  set(column: string, value: DatumInput): this {
    this.checkLive();
    this.written.set(column, toDatum(this.columnType(column), value));
    this.txn.touch(this);
    return this;
  }

  /** Adds a mutation of `column` (sent as a "mutate" operation after the updates). */
  mutate(column: string, mutator: Mutator, value: DatumInput): this {
    this.checkLive();
    this.mutations.push([column, mutator, mutationValue(this.columnType(column), mutator, value, this.txn)]);
    this.txn.touch(this);
    return this;
  }

  /** Deletes the row. */
  delete(): void {
    this.checkLive();
    this.isDeleted = true;
    this.txn.touch(this);
  }

  /** The type of `column`; throws TxnUsageError for a column the table lacks. */
  columnType(column: string): ColumnType {
    const c = this.table.column(column);
    if (c === undefined) throw new TxnUsageError(`table ${this.table.name} has no column ${column}`);
    return c.type;
  }

  private checkLive(): void {
    if (this.isDeleted)
      throw new TxnUsageError(`${this.table.name} row ${this.uuid} is deleted in this transaction`);
  }
}

function mutationValue(type: ColumnType, mutator: Mutator, value: DatumInput, txn: Transaction): Json {
  if (mutator !== 'insert' && mutator !== 'delete') {
    const d = toDatum({ ...type, value: null }, value);
    return txn.atomJson(type.key.type, d.keys[0]);
  }
  const keysOnly = mutator === 'delete' && type.value !== null && Array.isArray(value);
  const loose: ColumnType = keysOnly
    ? { key: type.key, value: null, min: 0, max: UNLIMITED }
    : { ...type, min: 0, max: UNLIMITED };
  return txn.datumJson(loose, toDatum(loose, value));
}

/** Builds one transaction against a replica; commit() sends it. */
export class Transaction {
  private readonly rowsByUuid = new Map<string, TxnRow>();
  private readonly touched: TxnRow[] = [];
  private comments: string[] = [];

  constructor(readonly replica: Replica) {}

  /** Adds a "comment" operation (shown in the server's log). */
  comment(text: string): void {
    this.comments.push(text);
  }

  /** The row `uuid` of `table` as this transaction sees it, or undefined (missing or deleted here). */
  row(table: string, uuid: string): TxnRow | undefined {
    const known = this.rowsByUuid.get(uuid);
    if (known !== undefined) return known.deleted ? undefined : known;
    const base = this.replica.row(table, uuid);
    if (base === undefined) return undefined;
    const row = new TxnRow(this, this.tableSchema(table), uuid, base);
    this.rowsByUuid.set(uuid, row);
    return row;
  }

  /** Every row of `table` as this transaction sees it (replica rows not deleted here, plus inserted ones). */
  rows(table: string): TxnRow[] {
    const out: TxnRow[] = [];
    for (const uuid of this.replica.rows(table).keys()) {
      const row = this.row(table, uuid);
      if (row !== undefined) out.push(row);
    }
    for (const row of this.touched)
      if (row.inserted && !row.deleted && row.table.name === table) out.push(row);
    return out;
  }

  /** Inserts a row; its `uuid` is temporary and may be used in references; commit() maps it to the real one. */
  insert(table: string, values: Readonly<Record<string, DatumInput>> = {}): TxnRow {
    const row = new TxnRow(this, this.tableSchema(table), newUuid(), null);
    this.rowsByUuid.set(row.uuid, row);
    this.touch(row);
    for (const [column, value] of Object.entries(values)) row.set(column, value);
    return row;
  }

  /** Called by rows when they change; keeps them in first-change order. */
  touch(row: TxnRow): void {
    if (!this.touched.includes(row)) this.touched.push(row);
  }

  /** The operations commit() would send (without the database name). */
  operations(): Json[] {
    const ops: Json[] = [];
    for (const row of this.rowsByUuid.values()) {
      if (row.inserted || row.read.size === 0) continue;
      ops.push(this.verifyOp(row));
    }
    const changes: Json[] = [];
    for (const row of this.touched) changes.push(...this.rowOps(row));
    if (changes.length === 0) return [];
    ops.push(...changes);
    for (const comment of this.comments) ops.push({ op: 'comment', comment });
    return ops;
  }

  /** Sends the transaction. Resolves with its status; rejects with OvsdbTxnError when the server refuses it. */
  async commit(): Promise<TxnResult> {
    const ops = this.operations();
    if (ops.length === 0) return { status: 'unchanged', inserted: new Map(), results: [] };
    const results = await this.replica.connection.transact(this.replica.database, ops);
    const failure = firstError(results);
    if (failure !== null) {
      const op = ops[failure.index];
      const isVerify = isJsonObject(op) && op.op === 'wait' && failure.error.error === 'timed out';
      if (isVerify) return { status: 'try again', inserted: new Map(), results };
      throw new OvsdbTxnError(String(failure.error.error), failure.error, results);
    }
    return { status: 'success', inserted: this.insertedUuids(ops, results), results };
  }

  /** An atom as JSON; temporary UUIDs of rows inserted here become ["named-uuid", …]. */
  atomJson(type: string, atom: Atom): Json {
    if (type !== 'uuid') return atom;
    const row = this.rowsByUuid.get(atom as string);
    return row?.inserted ? ['named-uuid', namedUuid(row.uuid)] : ['uuid', atom as string];
  }

  /** A datum as JSON, with named-uuid references to rows inserted here. */
  datumJson(type: ColumnType, d: Datum): Json {
    const json = datumToJson(type, d);
    return this.nameReferences(json);
  }

  private nameReferences(json: Json): Json {
    if (!Array.isArray(json)) return json;
    if (json.length === 2 && json[0] === 'uuid' && typeof json[1] === 'string')
      return this.atomJson('uuid', json[1]);
    return json.map((j) => this.nameReferences(j));
  }

  private verifyOp(row: TxnRow): JsonObject {
    const columns = [...row.read.keys()];
    const values: JsonObject = {};
    for (const [column, value] of row.read) values[column] = datumToJson(row.columnType(column), value);
    return {
      op: 'wait',
      table: row.table.name,
      timeout: 0,
      where: [['_uuid', '==', ['uuid', row.uuid]]],
      columns,
      until: '==',
      rows: [values],
    };
  }

  private rowOps(row: TxnRow): Json[] {
    const where: Json = [['_uuid', '==', ['uuid', row.uuid]]];
    const table = row.table.name;
    if (row.deleted) return row.inserted ? [] : [{ op: 'delete', table, where }];
    const values: JsonObject = {};
    for (const [column, value] of row.written) values[column] = this.datumJson(row.columnType(column), value);
    const ops: Json[] = [];
    if (row.inserted) ops.push({ op: 'insert', table, 'uuid-name': namedUuid(row.uuid), row: values });
    else if (row.written.size > 0) ops.push({ op: 'update', table, where, row: values });
    if (row.mutations.length > 0) {
      const target = row.inserted ? [['_uuid', '==', ['named-uuid', namedUuid(row.uuid)]]] : where;
      ops.push({ op: 'mutate', table, where: target, mutations: row.mutations });
    }
    return ops;
  }

  private insertedUuids(ops: Json[], results: readonly Json[]): Map<string, string> {
    const map = new Map<string, string>();
    ops.forEach((op, i) => {
      if (!isJsonObject(op) || op.op !== 'insert') return;
      const result = results[i];
      const uuid = isJsonObject(result) && Array.isArray(result.uuid) ? result.uuid[1] : undefined;
      if (typeof uuid !== 'string') throw new OvsdbProtocolError(`insert result ${i} has no uuid`);
      map.set(fromNamedUuid(op['uuid-name'] as string), uuid);
    });
    return map;
  }

  private tableSchema(table: string): TableSchema {
    const schema = this.replica.schema.table(table);
    if (schema === undefined) throw new TxnUsageError(`${this.replica.database} has no table ${table}`);
    return schema;
  }
}

/** The uuid-name of a temporary UUID: "row" and the UUID with "_" for "-" (as Open vSwitch's IDL names them). */
function namedUuid(uuid: string): string {
  return `row${uuid.replace(/-/g, '_')}`;
}

function fromNamedUuid(name: string): string {
  return name.slice(3).replace(/_/g, '-');
}

/** The first error object in a result array (a null result counts as "not executed"). */
function firstError(results: readonly Json[]): { index: number; error: JsonObject } | null {
  for (const [index, r] of results.entries()) {
    if (isJsonObject(r) && typeof r.error === 'string') return { index, error: r };
  }
  return null;
}

/** Options of transact(). */
export interface TransactOptions {
  /** A "comment" operation to add. */
  readonly comment?: string;
  /** How many times to run the function at most (default 10). */
  readonly maxAttempts?: number;
  /** How long to wait for the replica to catch up before a retry (default 5000 ms). */
  readonly catchUpMs?: number;
}

/**
 * Runs `build` on a fresh transaction and commits it; when a verified column changed meanwhile, waits for
 * the replica to catch up and runs `build` again (up to maxAttempts). Resolves to build's value and the result.
 */
export async function transact<T>(
  replica: Replica,
  build: (txn: Transaction) => T | Promise<T>,
  options: TransactOptions = {},
): Promise<{ value: T; result: TxnResult }> {
  const attempts = options.maxAttempts ?? 10;
  let last: TxnResult | null = null;
  for (let i = 0; i < attempts; i++) {
    const seqno = replica.seqno;
    const txn = new Transaction(replica);
    const value = await build(txn);
    if (options.comment !== undefined) txn.comment(options.comment);
    const result = await txn.commit();
    if (result.status !== 'try again') return { value, result };
    last = result;
    await replica.waitForChange(seqno, options.catchUpMs ?? 5000).catch(() => {});
  }
  const error: JsonObject = { error: 'try again', details: `gave up after ${attempts} attempts` };
  throw new OvsdbTxnError('try again', error, last?.results ?? []);
}
