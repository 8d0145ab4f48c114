// Executes one `transact` request (RFC 7047 §5.2) against a Database the way Open vSwitch's ovsdb-server
// does: each operation is parsed and run on a private view of the rows (an error stops the transaction and
// the remaining results are null), then the whole result is checked in OVS's order — reference counts and
// referential integrity, garbage collection of unreferenced non-root rows, maxRows, weak references,
// unique indexes — before anything is committed. Nothing is committed here; the caller commits the changes.

import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import {
  type Clause,
  columnDatum,
  evalWhere,
  lookupColumn,
  parseWhere,
  UUID_COLUMN,
  uuidOfWhere,
  VERSION_COLUMN,
} from './condition.js';
import {
  type Changes,
  type Database,
  forEachStrongRefIn,
  type IndexKey,
  indexKey,
  type Row,
  type RowChange,
  type Table,
} from './database.js';
import {
  checkDatum,
  compareDatums,
  Datum,
  datumFromJson,
  datumToJson,
  datumToString,
  defaultDatum,
  isUuid,
} from './datum.js';
import { OvsdbError, syntaxError, taggedSyntaxError } from './error.js';
import { applyMutation, parseMutation } from './mutation.js';
import { isJsonInteger } from './ovs-json.js';
import type { TableSchema } from './schema.js';
import { shashOrder } from './shash-order.js';
import { type Atom, type BaseType, type ColumnType, isStrongRef, isWeakRef, ZERO_UUID } from './types.js';
import { newUuid } from './uuid.js';

/** What a transaction needs to know about the session that sent it. */
export interface TxnSession {
  /** True when the session holds the named lock (for the "assert" operation). */
  ownsLock(name: string): boolean;
}

/** The outcome of executing a transaction. */
export type TxnOutcome =
  | {
      readonly kind: 'done';
      /** The "result" array of the reply (with an error object where it failed). */
      readonly results: Json[];
      /** The checked changes to commit, or null when it failed or changed nothing. */
      readonly changes: Changes | null;
      readonly comment: string | undefined;
      readonly durable: boolean;
    }
  | {
      /** A "wait" is not yet satisfied: retry after the next commit, or after `timeoutMs` has passed. */
      readonly kind: 'blocked';
      readonly timeoutMs: number;
    };

/** Options of one execution attempt. */
export interface TxnAttempt {
  /** Milliseconds since the transaction first arrived (a blocked "wait" times out by this). */
  readonly elapsedMs: number;
}

/** Runs `ops` (the transact params after the database name) against `db`; commits nothing itself. */
export function executeTransaction(
  db: Database,
  ops: readonly Json[],
  session: TxnSession,
  attempt: TxnAttempt = { elapsedMs: 0 },
): TxnOutcome {
  const txn = new Txn(db, session, attempt);
  const results: Json[] = [];
  for (let i = 0; i < ops.length; i++) {
    const parser = new OpParser(ops[i], `ovsdb operation ${i + 1} of ${ops.length}`);
    const { result, error } = runOperation(txn, parser);
    if (error?.code === 'not supported') {
      return { kind: 'blocked', timeoutMs: txn.waitTimeoutMs - attempt.elapsedMs };
    }
    if (error !== null) {
      results.push(error.toJson());
      while (results.length < ops.length) results.push(null);
      return failed(results);
    }
    results.push(result);
  }
  try {
    const changes = txn.precommit();
    const comment = txn.comments.length > 0 ? txn.comments.join('\n') : undefined;
    return {
      kind: 'done',
      results,
      changes: changes.size > 0 ? changes : null,
      comment,
      durable: txn.durable,
    };
  } catch (err) {
    results.push(toOvsdbError(err).toJson());
    return failed(results);
  }
}

function failed(results: Json[]): TxnOutcome {
  return { kind: 'done', results, changes: null, comment: undefined, durable: false };
}

function toOvsdbError(err: unknown): OvsdbError {
  if (err instanceof OvsdbError) return err;
  return new OvsdbError('internal error', err instanceof Error ? err.message : String(err));
}

/** Parses and runs one operation; a parse error overrides any other error, as in Open vSwitch. */
function runOperation(txn: Txn, parser: OpParser): { result: JsonObject; error: OvsdbError | null } {
  const result: JsonObject = {};
  let error: OvsdbError | null = null;
  let readOnly = false;
  const name = parser.member('op', ID);
  if (typeof name === 'string') {
    const op = OPERATIONS.get(name);
    if (op === undefined) {
      parser.raise(`No operation "${name}"`);
    } else {
      readOnly = op.readOnly;
      try {
        Object.assign(result, op.run(txn, parser));
      } catch (err) {
        error = toOvsdbError(err);
      }
    }
  }
  error = parser.finish() ?? error;
  if (error === null && !readOnly && txn.db.schema.name.startsWith('_')) {
    error = new OvsdbError(
      'not allowed',
      `${name} operation not allowed on table in reserved database ${txn.db.schema.name}`,
    );
  }
  return { result, error };
}

// ---- the operation parser (Open vSwitch's ovsdb_parser) ----

const NULL = 1 << 0;
const FALSE = 1 << 1;
const TRUE = 1 << 2;
const OBJECT = 1 << 3;
const ARRAY = 1 << 4;
const INTEGER = 1 << 5;
const REAL = 1 << 6;
const STRING = 1 << 7;
/** A string that is an <id>. */
const ID = 1 << 8;
const OPTIONAL = 1 << 9;
const BOOLEAN = FALSE | TRUE;

const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function jsonTypeBit(v: Json): number {
  if (v === null) return NULL;
  if (v === false) return FALSE;
  if (v === true) return TRUE;
  if (typeof v === 'number') return isJsonInteger(v) ? INTEGER : REAL;
  if (typeof v === 'string') return STRING;
  return Array.isArray(v) ? ARRAY : OBJECT;
}

/** Reads an operation's members by type, remembering the first problem and which members were used. */
class OpParser {
  error: OvsdbError | null = null;
  readonly object: JsonObject | null;
  private readonly used = new Set<string>();

  constructor(
    readonly json: Json,
    private readonly what: string,
  ) {
    this.object = isJsonObject(json) ? json : null;
    if (this.object === null) this.raise('Object expected.');
  }

  /** The member `name` if present with one of `types`; otherwise records why not and returns undefined. */
  member(name: string, types: number): Json | undefined {
    if (this.object === null) return undefined;
    const value = this.object[name];
    if (value === undefined) {
      if (!(types & OPTIONAL)) this.raise(`Required '${name}' member is missing.`);
      return undefined;
    }
    const isId = types & ID && typeof value === 'string' && ID_RE.test(value);
    if (!(types & jsonTypeBit(value)) && !isId) {
      this.raise(`Type mismatch for member '${name}'.`);
      return undefined;
    }
    this.used.add(name);
    return value;
  }

  /** Records a problem (only the first one counts). */
  raise(message: string): void {
    this.error ??= syntaxError(this.object ?? undefined, `Parsing ${this.what} failed: ${message}`);
  }

  /** Throws the recorded problem, if any. */
  check(): void {
    if (this.error !== null) throw this.error;
  }

  /** The recorded problem, or an error naming members that are present but were not used. */
  finish(): OvsdbError | null {
    if (this.error !== null || this.object === null) return this.error;
    const keys = Object.keys(this.object);
    const unused = keys.filter((k) => !this.used.has(k));
    if (unused.length === 0) return null;
    const first = shashOrder(keys).find((k) => !this.used.has(k)) as string;
    const n = unused.length;
    this.raise(
      n > 1
        ? `Member '${first}' and ${n - 1} other member${n > 2 ? 's' : ''} are present but not allowed here.`
        : `Member '${first}' is present but not allowed here.`,
    );
    return this.error;
  }
}

// ---- operations ----

interface Operation {
  readonly readOnly: boolean;
  run(txn: Txn, parser: OpParser): JsonObject;
}

const OPERATIONS = new Map<string, Operation>([
  ['insert', { readOnly: false, run: (t, p) => t.insert(p) }],
  ['select', { readOnly: true, run: (t, p) => t.select(p) }],
  ['update', { readOnly: false, run: (t, p) => t.update(p) }],
  ['mutate', { readOnly: false, run: (t, p) => t.mutate(p) }],
  ['delete', { readOnly: false, run: (t, p) => t.delete(p) }],
  ['wait', { readOnly: true, run: (t, p) => t.wait(p) }],
  ['commit', { readOnly: false, run: (t, p) => t.commit(p) }],
  ['abort', { readOnly: true, run: () => abort() }],
  ['comment', { readOnly: true, run: (t, p) => t.comment(p) }],
  ['assert', { readOnly: true, run: (t, p) => t.assert(p) }],
]);

function abort(): never {
  throw new OvsdbError('aborted', 'aborted by request');
}

/** A row touched by the transaction: `old` is null for an insert, `new` null for a delete. */
interface TxnRow {
  readonly table: Table;
  readonly uuid: string;
  readonly old: Row | null;
  new: Row | null;
  /** Strong references to this row once the transaction commits. */
  nRefs: number;
  /** Positions of the columns that changed (all of them for inserts and deletes). */
  changed: Set<number>;
}

interface UuidSymbol {
  uuid: string;
  created: boolean;
}

/** A column position (or _uuid/_version pseudo-position) and its value, as parsed from a <row>. */
type RowValues = Map<number, Datum>;

/** The private view of one transaction: the database's rows overlaid with this transaction's changes. */
class Txn {
  /** Rows touched, by table name then UUID, in the order they were first touched. */
  readonly rows = new Map<string, Map<string, TxnRow>>();
  readonly symbols = new Map<string, UuidSymbol>();
  readonly comments: string[] = [];
  durable = false;
  /** The smallest "timeout" of the "wait" operations seen so far. */
  waitTimeoutMs = Number.POSITIVE_INFINITY;
  /** Per referenced table: who weakly refers to each row (see weakReferrers). */
  private readonly weakIndex = new Map<string, Map<string, [Table, string][]>>();

  constructor(
    readonly db: Database,
    readonly session: TxnSession,
    readonly attempt: TxnAttempt,
  ) {}

  /** Resolves a ["named-uuid", name] reference (a later insert may still create it). */
  readonly resolve = (name: string): string => this.symbol(name).uuid;

  private symbol(name: string): UuidSymbol {
    let s = this.symbols.get(name);
    if (s === undefined) {
      s = { uuid: newUuid(), created: false };
      this.symbols.set(name, s);
    }
    return s;
  }

  // ---- the view ----

  txnRow(table: Table, uuid: string): TxnRow | undefined {
    return this.rows.get(table.schema.name)?.get(uuid);
  }

  /** The row as this transaction sees it, or null. */
  current(table: Table, uuid: string): Row | null {
    const r = this.txnRow(table, uuid);
    return r !== undefined ? r.new : (table.rows.get(uuid) ?? null);
  }

  private addTxnRow(table: Table, old: Row | null, row: Row | null, uuid: string): TxnRow {
    let m = this.rows.get(table.schema.name);
    if (m === undefined) {
      m = new Map();
      this.rows.set(table.schema.name, m);
    }
    const nRefs = old === null ? 0 : this.db.refCount(uuid);
    const r: TxnRow = { table, uuid, old, new: row, nRefs, changed: new Set() };
    m.set(uuid, r);
    return r;
  }

  /** The row's entry in the transaction, pulling an existing row in unchanged; null if there is no such row. */
  findOrMake(table: Table, uuid: string): TxnRow | null {
    const r = this.txnRow(table, uuid);
    if (r !== undefined) return r;
    const row = table.rows.get(uuid);
    return row === undefined ? null : this.addTxnRow(table, row, row, uuid);
  }

  /** Replaces the current version of an existing row. */
  modify(table: Table, row: Row): void {
    (this.findOrMake(table, row.uuid) as TxnRow).new = row;
  }

  /** Deletes a row; a row inserted by this transaction leaves no trace. */
  remove(table: Table, uuid: string): void {
    const r = this.findOrMake(table, uuid) as TxnRow;
    if (r.old !== null) r.new = null;
    else this.rows.get(table.schema.name)?.delete(uuid);
  }

  /** The rows that satisfy `clauses`, in the view. */
  matching(table: Table, clauses: readonly Clause[]): Row[] {
    const pinned = uuidOfWhere(clauses);
    if (pinned !== undefined) {
      const row = this.current(table, pinned);
      return row !== null && evalWhere(row, clauses) ? [row] : [];
    }
    const out: Row[] = [];
    const touched = this.rows.get(table.schema.name);
    for (const [uuid, row] of table.rows) {
      const r = touched?.get(uuid);
      const cur = r === undefined ? row : r.new;
      if (cur !== null && evalWhere(cur, clauses)) out.push(cur);
    }
    if (touched !== undefined) {
      for (const r of touched.values()) {
        if (r.old === null && r.new !== null && evalWhere(r.new, clauses)) out.push(r.new);
      }
    }
    return out;
  }

  /** Reads the "table" member and finds the table (or records why not). */
  table(parser: OpParser): Table | null {
    const name = parser.member('table', ID);
    if (typeof name !== 'string') return null;
    const table = this.db.tables.get(name);
    if (table === undefined) parser.raise(`No table named ${name}.`);
    return table ?? null;
  }

  where(table: Table, json: Json): Clause[] {
    return parseWhere(table.schema, json, this.resolve);
  }

  /** Parses a <row>: column position → value (constraints checked); _uuid and _version are columns too. */
  parseRow(table: TableSchema, json: Json): RowValues {
    if (!isJsonObject(json)) throw syntaxError(json, 'row must be JSON object');
    const out: RowValues = new Map();
    for (const [name, value] of Object.entries(json)) {
      const col = lookupColumn(table, name);
      if (col === undefined) {
        throw taggedSyntaxError(json, 'unknown column', `No column ${name} in table ${table.name}.`);
      }
      out.set(col.index, datumFromJson(col.type, value, this.resolve));
    }
    return out;
  }

  // ---- operations ----

  insert(parser: OpParser): JsonObject {
    const table = this.table(parser);
    const uuidJson = parser.member('uuid', STRING | OPTIONAL);
    const uuidName = parser.member('uuid-name', ID | OPTIONAL);
    const rowJson = parser.member('row', OBJECT);
    parser.check();
    const t = table as Table;
    let uuid = typeof uuidJson === 'string' ? this.explicitUuid(t, uuidJson) : undefined;
    if (typeof uuidName === 'string') {
      const sym = this.symbol(uuidName);
      if (sym.created) {
        throw taggedSyntaxError(
          uuidName,
          'duplicate uuid-name',
          'This "uuid-name" appeared on an earlier "insert" operation.',
        );
      }
      if (uuid === undefined) uuid = sym.uuid;
      else sym.uuid = uuid;
      sym.created = true;
    }
    uuid ??= newUuid();
    const values = this.parseRow(t.schema, rowJson as Json);
    const data = t.schema.columns.map((c) => values.get(c.index) ?? defaultDatum(c.type));
    // Defaults may not satisfy the constraints; a value with one element may be a default.
    for (const c of t.schema.columns) if (data[c.index].size === 1) checkDatum(c.type, data[c.index]);
    const row: Row = { uuid, version: newUuid(), data };
    this.addTxnRow(t, null, row, uuid);
    return { uuid: ['uuid', uuid] };
  }

  /** Checks an insert's "uuid" member: well formed and not used in the table (nor deleted in this txn). */
  private explicitUuid(table: Table, text: string): string {
    if (!isUuid(text)) throw syntaxError(text, 'bad uuid');
    const uuid = text.toLowerCase();
    if (this.current(table, uuid) !== null || this.txnRow(table, uuid) !== undefined) {
      throw taggedSyntaxError(
        text,
        'duplicate uuid',
        'This UUID would duplicate a UUID already present within the table or deleted within the same transaction.',
      );
    }
    return uuid;
  }

  select(parser: OpParser): JsonObject {
    const table = this.table(parser);
    const where = parser.member('where', ARRAY);
    const columnsJson = parser.member('columns', ARRAY | OPTIONAL);
    const sortJson = parser.member('sort', ARRAY | OPTIONAL);
    parser.check();
    const t = table as Table;
    const clauses = this.where(t, where as Json);
    const columns = parseColumnSet(t.schema, columnsJson);
    const sort = parseColumnSet(t.schema, sortJson ?? []);
    let rows = this.matching(t, clauses);
    if (columnsJson !== undefined && !columns.includes('_uuid')) rows = distinct(t.schema, rows, columns);
    if (sort.length > 0) rows.sort((a, b) => compareRows(t.schema, a, b, sort));
    return { rows: rows.map((r) => rowToJson(t.schema, r, columns)) };
  }

  update(parser: OpParser): JsonObject {
    const table = this.table(parser);
    const where = parser.member('where', ARRAY);
    const rowJson = parser.member('row', OBJECT);
    parser.check();
    const t = table as Table;
    const values = this.parseRow(t.schema, rowJson as Json);
    for (const index of values.keys()) {
      const col = columnAt(t.schema, index);
      if (!col.mutable) {
        throw taggedSyntaxError(
          parser.json,
          'constraint violation',
          `Cannot update immutable column ${col.name} in table ${t.schema.name}.`,
        );
      }
    }
    const rows = this.matching(t, this.where(t, where as Json));
    for (const r of rows) {
      if ([...values].every(([i, d]) => r.data[i].equals(d))) continue;
      const data = r.data.slice();
      for (const [i, d] of values) data[i] = d;
      this.modify(t, { uuid: r.uuid, version: r.version, data });
    }
    return { count: rows.length };
  }

  mutate(parser: OpParser): JsonObject {
    const table = this.table(parser);
    const where = parser.member('where', ARRAY);
    const mutationsJson = parser.member('mutations', ARRAY);
    parser.check();
    const t = table as Table;
    const mutations = (mutationsJson as Json[]).map((m) => parseMutation(t.schema, m, this.resolve));
    const rows = this.matching(t, this.where(t, where as Json));
    for (const r of rows) {
      const data = r.data.slice();
      for (const m of mutations) data[m.column] = applyMutation(m, data[m.column]);
      this.modify(t, { uuid: r.uuid, version: r.version, data });
    }
    return { count: rows.length };
  }

  delete(parser: OpParser): JsonObject {
    const where = parser.member('where', ARRAY);
    const table = this.table(parser);
    parser.check();
    const t = table as Table;
    const rows = this.matching(t, this.where(t, where as Json));
    for (const r of rows) this.remove(t, r.uuid);
    return { count: rows.length };
  }

  wait(parser: OpParser): JsonObject {
    const timeout = parser.member('timeout', INTEGER | OPTIONAL);
    const where = parser.member('where', ARRAY);
    const columnsJson = parser.member('columns', ARRAY | OPTIONAL);
    const until = parser.member('until', STRING);
    const rowsJson = parser.member('rows', ARRAY);
    const table = this.table(parser);
    parser.check();
    const t = table as Table;
    const clauses = this.where(t, where as Json);
    const columns = parseColumnSet(t.schema, columnsJson);
    if (typeof timeout === 'number') {
      if (timeout < 0) throw syntaxError(timeout, 'timeout must be nonnegative');
      this.waitTimeoutMs = Math.min(this.waitTimeoutMs, timeout);
    }
    if (until !== '==' && until !== '!=') throw syntaxError(until, '"until" must be "==" or "!="');
    const expected = new Set(
      (rowsJson as Json[]).map((rj) => projection(t.schema, this.waitRow(t, rj), columns)),
    );
    const equal = this.sameRows(t, clauses, columns, expected);
    if ((until === '==') === equal) return {};
    const elapsed = this.attempt.elapsedMs;
    if (typeof timeout === 'number' && elapsed >= timeout) {
      throw new OvsdbError(
        'timed out',
        elapsed > 0 ? `"wait" timed out after ${elapsed} ms` : '"where" clause test failed',
      );
    }
    throw new OvsdbError('not supported', 'triggers not supported');
  }

  /** A row given in a "wait": every column at its default but those listed (including _uuid/_version). */
  private waitRow(table: Table, json: Json): Row {
    const values = this.parseRow(table.schema, json);
    const data = table.schema.columns.map((c) => values.get(c.index) ?? defaultDatum(c.type));
    const pseudo = (i: number) => (values.get(i)?.keys[0] as string | undefined) ?? ZERO_UUID;
    return { uuid: pseudo(UUID_COLUMN), version: pseudo(VERSION_COLUMN), data };
  }

  /** True when the rows matching `clauses`, projected on `columns`, are exactly the `expected` set. */
  private sameRows(
    table: Table,
    clauses: readonly Clause[],
    columns: readonly string[],
    expected: Set<string>,
  ) {
    const actual = new Set<string>();
    for (const r of this.matching(table, clauses)) {
      const key = projection(table.schema, r, columns);
      if (!expected.has(key)) return false;
      actual.add(key);
    }
    return actual.size === expected.size;
  }

  commit(parser: OpParser): JsonObject {
    if (parser.member('durable', BOOLEAN) === true) this.durable = true;
    return {};
  }

  comment(parser: OpParser): JsonObject {
    const c = parser.member('comment', STRING);
    if (typeof c === 'string') this.comments.push(c);
    return {};
  }

  assert(parser: OpParser): JsonObject {
    const lock = parser.member('lock', ID);
    if (typeof lock === 'string' && !this.session.ownsLock(lock)) {
      throw new OvsdbError('not owner', `Asserted lock ${lock} not held.`);
    }
    return {};
  }

  // ---- commit-time checks, in Open vSwitch's order ----

  /** Runs every whole-transaction check and returns the effective changes. */
  precommit(): Changes {
    this.forEachTxnRow((r) => this.determineChanges(r));
    this.forEachTxnRow((r) => this.updateRefCounts(r));
    this.forEachTxnRow((r) => this.checkRefCount(r));
    this.forEachTxnRow((r) => this.collectGarbage(r));
    this.checkMaxRows();
    this.forEachTxnRow((r) => this.assessWeakRefs(r));
    this.checkIndexes();
    this.forEachTxnRow((r) => this.updateVersion(r));
    return this.effectiveChanges();
  }

  /** Calls `fn` once for every row in the transaction, including rows that `fn` pulls in. */
  private forEachTxnRow(fn: (r: TxnRow) => void): void {
    const seen = new Set<TxnRow>();
    for (let more = true; more; ) {
      more = false;
      for (const rows of this.rows.values()) {
        for (const r of rows.values()) {
          if (seen.has(r)) continue;
          seen.add(r);
          more = true;
          fn(r);
        }
      }
    }
  }

  /** Notes which columns changed; a row that did not really change leaves the transaction. */
  private determineChanges(r: TxnRow): void {
    const columns = r.table.schema.columns;
    if (r.old === null || r.new === null) {
      r.changed = new Set(columns.map((c) => c.index));
      return;
    }
    const { old, new: cur } = r;
    r.changed = new Set(
      columns.filter((c) => !old.data[c.index].equals(cur.data[c.index])).map((c) => c.index),
    );
    if (r.changed.size === 0) this.rows.get(r.table.schema.name)?.delete(r.uuid);
  }

  /** Counts the strong references a row gains and loses; a new reference must point at an existing row. */
  private updateRefCounts(r: TxnRow): void {
    for (const c of r.table.schema.columns) {
      if (!r.changed.has(c.index) || !(isStrongRef(c.type.key) || isStrongRef(c.type.value))) continue;
      const before = r.old?.data[c.index] ?? null;
      const after = r.new?.data[c.index] ?? null;
      const { added, removed } = addedRemoved(c.type, before, after);
      forEachStrongRefIn(c.type, removed, r.uuid, (uuid, table) => {
        const target = this.findOrMake(this.db.table(table), uuid);
        if (target !== null) target.nRefs--;
      });
      forEachStrongRefIn(c.type, added, r.uuid, (uuid, table) => {
        const target = this.findOrMake(this.db.table(table), uuid);
        if (target === null) {
          throw new OvsdbError(
            'referential integrity violation',
            `Table ${r.table.schema.name} column ${c.name} row ${r.uuid} references nonexistent row ${uuid} in table ${table}.`,
          );
        }
        target.nRefs++;
      });
    }
  }

  /** A deleted row must not be referenced any more. */
  private checkRefCount(r: TxnRow): void {
    if (r.new !== null || r.nRefs === 0) return;
    throw new OvsdbError(
      'referential integrity violation',
      `cannot delete ${r.table.schema.name} row ${r.uuid} because of ${r.nRefs} remaining reference(s)`,
    );
  }

  /** Deletes an unreferenced row of a non-root table, and whatever that leaves unreferenced. */
  private collectGarbage(r: TxnRow): void {
    if (r.new !== null && r.nRefs === 0) this.deleteGarbage(r);
  }

  private deleteGarbage(r: TxnRow): void {
    if (r.table.schema.isRoot || r.new === null) return;
    const row = r.new;
    r.new = null;
    for (const c of r.table.schema.columns) {
      forEachStrongRefIn(c.type, row.data[c.index], row.uuid, (uuid, table) => {
        const target = this.findOrMake(this.db.table(table), uuid);
        if (target !== null && --target.nRefs === 0) this.deleteGarbage(target);
      });
    }
  }

  /** No table may hold more rows than its schema's maxRows. */
  private checkMaxRows(): void {
    for (const [name, rows] of this.rows) {
      const table = this.db.table(name);
      const max = table.schema.maxRows;
      if (max === Number.POSITIVE_INFINITY) continue;
      let n = table.rows.size;
      for (const r of rows.values()) n += (r.new !== null ? 1 : 0) - (r.old !== null ? 1 : 0);
      if (n > max) {
        throw new OvsdbError(
          'constraint violation',
          `transaction causes "${name}" table to contain ${n} rows, greater than the schema-defined limit of ${max} row(s)`,
        );
      }
    }
  }

  /** Removes weak references to rows that no longer exist (pulling in rows that referred to deleted ones). */
  private assessWeakRefs(r: TxnRow): void {
    if (r.old !== null && r.new === null) this.pullInWeakReferrers(r);
    if (r.new === null) return;
    for (const c of r.table.schema.columns) {
      if (!isWeakRef(c.type.key) && !isWeakRef(c.type.value)) continue;
      const d = r.new.data[c.index];
      const keep: number[] = [];
      let zero = false;
      for (let i = 0; i < d.size; i++) {
        const dead = this.deadWeakTarget(c.type, d, i);
        if (dead === null) keep.push(i);
        else if (dead === ZERO_UUID && !(r.old?.data[c.index].has(d.keys[i], d.values?.[i]) ?? false))
          zero = true;
      }
      if (keep.length === d.size) continue;
      r.changed.add(c.index);
      if (keep.length < c.type.min) throw weakRefError(r, c.name, d.size - keep.length, zero);
      const data = r.new.data.slice();
      data[c.index] = new Datum(
        keep.map((i) => d.keys[i]),
        d.values === null ? null : keep.map((i) => (d.values as Atom[])[i]),
      );
      r.new = { uuid: r.new.uuid, version: r.new.version, data };
    }
  }

  /** The UUID of a weak reference in element `i` whose row does not exist, or null. */
  private deadWeakTarget(t: ColumnType, d: Datum, i: number): string | null {
    const dead = (base: BaseType | null, a: Atom | undefined): boolean =>
      isWeakRef(base) && this.current(this.db.table(base?.refTable as string), a as string) === null;
    if (dead(t.key, d.keys[i])) return d.keys[i] as string;
    if (d.values !== null && dead(t.value, d.values[i])) return d.values[i] as string;
    return null;
  }

  /** Brings into the transaction every committed row that weakly refers to the deleted row `r`. */
  private pullInWeakReferrers(r: TxnRow): void {
    for (const [table, uuid] of this.weakReferrers(r.table.schema.name).get(r.uuid) ?? []) {
      if (uuid !== r.uuid) this.findOrMake(table, uuid);
    }
  }

  /** Committed rows by the UUIDs they weakly refer to in `target` (built once per target table). */
  private weakReferrers(target: string): Map<string, [Table, string][]> {
    let index = this.weakIndex.get(target);
    if (index !== undefined) return index;
    index = new Map();
    this.weakIndex.set(target, index);
    for (const table of this.db.tables.values()) {
      const columns = table.schema.columns.filter(
        (c) => weakTarget(c.type.key) === target || weakTarget(c.type.value) === target,
      );
      if (columns.length === 0) continue;
      for (const row of table.rows.values()) {
        for (const c of columns) {
          const d = row.data[c.index];
          const refs = [
            ...(weakTarget(c.type.key) === target ? d.keys : []),
            ...(weakTarget(c.type.value) === target ? (d.values ?? []) : []),
          ];
          for (const u of refs) {
            const list = index.get(u as string) ?? [];
            list.push([table, row.uuid]);
            index.set(u as string, list);
          }
        }
      }
    }
    return index;
  }

  /** Every index's values must be unique among the rows that will exist after the transaction. */
  private checkIndexes(): void {
    const seen = new Map<Table, Map<IndexKey, TxnRow>[]>();
    this.forEachTxnRow((r) => {
      if (r.new === null) return;
      const table = r.table;
      let maps = seen.get(table);
      if (maps === undefined) {
        maps = table.schema.indexes.map(() => new Map());
        seen.set(table, maps);
      }
      table.schema.indexes.forEach((cols, i) => {
        const key = indexKey(r.new as Row, cols);
        const other = (maps as Map<IndexKey, TxnRow>[])[i].get(key);
        if (other !== undefined) throw this.indexError(table.schema, cols, other.new as Row, r.new as Row);
        const holder = table.indexes[i].get(key);
        if (holder !== undefined && this.txnRow(table, holder) === undefined) {
          throw this.indexError(table.schema, cols, table.rows.get(holder) as Row, r.new as Row);
        }
        (maps as Map<IndexKey, TxnRow>[])[i].set(key, r);
      });
    });
  }

  private indexError(table: TableSchema, cols: readonly number[], x: Row, y: Row): OvsdbError {
    const [a, b] = compareRows(table, x, y, table.ovsColumnOrder) < 0 ? [y, x] : [x, y];
    const names = cols.map((c) => `"${table.columns[c].name}"`);
    const values = cols.map((c) => datumToString(table.columns[c].type, a.data[c]));
    const details =
      `Transaction causes multiple rows in "${table.name}" table to have identical values ` +
      `(${englishList(values)}) for index on column${cols.length > 1 ? 's' : ''} ${englishList(names)}.  ` +
      `First row, with UUID ${a.uuid}, ${this.describeForIndex(table, cols, a)}  ` +
      `Second row, with UUID ${b.uuid}, ${this.describeForIndex(table, cols, b)}`;
    return new OvsdbError('constraint violation', details);
  }

  /** How a row involved in an index conflict came to be, in Open vSwitch's words. */
  private describeForIndex(table: TableSchema, cols: readonly number[], row: Row): string {
    const r = this.txnRow(this.db.table(table.name), row.uuid);
    if (r === undefined || r.changed.size === 0) {
      return 'existed in the database before this transaction and was not modified by the transaction.';
    }
    if (r.old === null) return 'was inserted by this transaction.';
    const old = r.old;
    if (cols.every((c) => old.data[c].equals(row.data[c]))) {
      return "existed in the database before this transaction, which modified some of the row's columns but not any columns in this index.";
    }
    const values = cols.map((c) => datumToString(table.columns[c].type, old.data[c]));
    return `had the following index values before the transaction: ${englishList(values)}.`;
  }

  /** Gives every modified row a fresh _version (inserted rows keep the one they got when inserted). */
  private updateVersion(r: TxnRow): void {
    if (r.old !== null && r.new !== null && r.changed.size > 0) {
      r.new = { uuid: r.new.uuid, version: newUuid(), data: r.new.data };
    }
  }

  /** The rows that really change, as the database and its listeners take them. */
  private effectiveChanges(): Changes {
    const changes: Changes = new Map();
    for (const [name, rows] of this.rows) {
      const out = new Map<string, RowChange>();
      for (const r of rows.values()) {
        if (r.old === null && r.new === null) continue;
        if (r.old !== null && r.new !== null && r.changed.size === 0) continue;
        out.set(r.uuid, { old: r.old, new: r.new });
      }
      if (out.size > 0) changes.set(name, out);
    }
    return changes;
  }
}

function columnAt(table: TableSchema, index: number): { name: string; mutable: boolean } {
  if (index === UUID_COLUMN) return { name: '_uuid', mutable: false };
  if (index === VERSION_COLUMN) return { name: '_version', mutable: false };
  return table.columns[index];
}

function weakRefError(r: TxnRow, column: string, n: number, zero: boolean): OvsdbError {
  const table = r.table.schema.name;
  const row = r.uuid;
  if (zero && r.old === null) {
    return new OvsdbError(
      'constraint violation',
      `Weak reference column "${column}" in "${table}" row ${row} (inserted within this transaction) contained all-zeros UUID (probably as the default value for this column) but deleting this value caused a constraint volation because this column is not allowed to be empty.`,
    );
  }
  const inserted = r.old === null ? '(inserted within this transaction) ' : '';
  return new OvsdbError(
    'constraint violation',
    `Deletion of ${n} weak reference(s) to deleted (or never-existing) rows from column "${column}" in "${table}" row ${row} ${inserted}caused this column to become empty, but constraints on this column disallow an empty column.`,
  );
}

/** The table a base type weakly refers to, if it is a weak reference. */
function weakTarget(b: BaseType | null): string | undefined {
  return isWeakRef(b) ? b?.refTable : undefined;
}

/** The elements only in `after` and only in `before` (a changed scalar counts as entirely replaced). */
function addedRemoved(
  t: ColumnType,
  before: Datum | null,
  after: Datum | null,
): { added: Datum; removed: Datum } {
  const empty = new Datum([], t.value === null ? null : []);
  const a = before ?? empty;
  const b = after ?? empty;
  if (t.min === 1 && t.max === 1) return { added: b, removed: a };
  return { added: elementsNotIn(b, a), removed: elementsNotIn(a, b) };
}

/** The elements (pairs, for maps) of `x` that `y` lacks. */
function elementsNotIn(x: Datum, y: Datum): Datum {
  const keys: Atom[] = [];
  const values: Atom[] | null = x.values === null ? null : [];
  for (let i = 0; i < x.size; i++) {
    if (y.has(x.keys[i], x.values?.[i])) continue;
    keys.push(x.keys[i]);
    values?.push((x.values as Atom[])[i]);
  }
  return new Datum(keys, values);
}

/** Open vSwitch's english list: "a", "a and b", "a, b, and c". */
function englishList(items: readonly string[]): string {
  if (items.length <= 2) return items.join(' and ');
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

/** Parses a "columns" (or "sort") member: all columns when absent; names must be known and distinct. */
function parseColumnSet(table: TableSchema, json: Json | undefined): string[] {
  if (json === undefined) return ['_uuid', '_version', ...table.columns.map((c) => c.name)];
  const names: string[] = [];
  for (const name of Array.isArray(json) ? json : [null]) {
    if (typeof name !== 'string' || names.includes(name)) {
      throw syntaxError(json, 'array of distinct column names expected');
    }
    if (lookupColumn(table, name) === undefined)
      throw syntaxError(json, `${name} is not a valid column name`);
    names.push(name);
  }
  return names;
}

function columnIndex(table: TableSchema, name: string): number {
  return (lookupColumn(table, name) as { index: number }).index;
}

/** Compares two rows on the named columns, in that order. */
function compareRows(table: TableSchema, a: Row, b: Row, columns: readonly string[]): number {
  for (const name of columns) {
    const i = columnIndex(table, name);
    const c = compareDatums(columnDatum(a, i), columnDatum(b, i));
    if (c !== 0) return c;
  }
  return 0;
}

/** A key identifying a row's values on the named columns. */
function projection(table: TableSchema, row: Row, columns: readonly string[]): string {
  return JSON.stringify(
    columns.map((name) => {
      const d = columnDatum(row, columnIndex(table, name));
      return [d.keys, d.values];
    }),
  );
}

/** The rows with distinct values on `columns` (the first of each group). */
function distinct(table: TableSchema, rows: Row[], columns: readonly string[]): Row[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const key = projection(table, r, columns);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A row as JSON, with the named columns (including _uuid and _version when listed). */
export function rowToJson(table: TableSchema, row: Row, columns: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const name of columns) {
    if (name === '_uuid') out._uuid = ['uuid', row.uuid];
    else if (name === '_version') out._version = ['uuid', row.version];
    else {
      const c = table.column(name);
      if (c !== undefined) out[name] = datumToJson(c.type, row.data[c.index]);
    }
  }
  return out;
}
