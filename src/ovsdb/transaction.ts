// Executes one `transact` request (RFC 7047 §5.2) against a Database: runs the operations on a private
// view of the rows, then checks the whole result (referential integrity, garbage collection of
// unreferenced non-root rows, weak references, maxRows, unique indexes) before anything is committed.
import { randomUUID } from 'node:crypto';
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import { type Clause, evalWhere, lookupColumn, parseWhere, uuidOfWhere } from './condition.js';
import {
  type Changes,
  type Database,
  forEachStrongRef,
  indexKey,
  type Row,
  type RowChange,
  type Table,
} from './database.js';
import { checkDatum, Datum, datumFromJson, datumToJson, defaultDatum, isUuid } from './datum.js';
import { constraintViolation, OvsdbError, syntaxError } from './error.js';
import { applyMutation, parseMutation } from './mutation.js';
import type { ColumnSchema, TableSchema } from './schema.js';
import type { Atom } from './types.js';

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

interface UuidSymbol {
  readonly uuid: string;
  created: boolean;
}

class Blocked {
  constructor(readonly timeoutMs: number) {}
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
  for (const op of ops) {
    try {
      results.push(txn.execute(op));
    } catch (err) {
      if (err instanceof Blocked) return { kind: 'blocked', timeoutMs: err.timeoutMs };
      results.push(toErrorJson(err));
      return { kind: 'done', results, changes: null, comment: undefined, durable: false };
    }
  }
  try {
    txn.checkSymbols();
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
    results.push(toErrorJson(err));
    return { kind: 'done', results, changes: null, comment: undefined, durable: false };
  }
}

function toErrorJson(err: unknown): JsonObject {
  if (err instanceof OvsdbError) return err.toJson();
  return { error: 'internal error', details: err instanceof Error ? err.message : String(err) };
}

function member(op: JsonObject, name: string, required: true): Json;
function member(op: JsonObject, name: string, required: false): Json | undefined;
function member(op: JsonObject, name: string, required: boolean): Json | undefined {
  const v = op[name];
  if (v === undefined && required) throw syntaxError(op, `Required '${name}' member is missing.`);
  return v;
}

/** The private view of one transaction: the database's rows overlaid with this transaction's changes. */
class Txn {
  readonly changes: Changes = new Map();
  readonly symbols = new Map<string, UuidSymbol>();
  readonly comments: string[] = [];
  durable = false;

  constructor(
    readonly db: Database,
    readonly session: TxnSession,
    readonly attempt: TxnAttempt,
  ) {}

  /** Resolves a ["named-uuid", name] reference (a later insert may still create it). */
  readonly resolve = (name: string): string => {
    let s = this.symbols.get(name);
    if (s === undefined) {
      s = { uuid: randomUUID(), created: false };
      this.symbols.set(name, s);
    }
    return s.uuid;
  };

  execute(op: Json): Json {
    if (!isJsonObject(op)) throw syntaxError(op, 'Operation must be a JSON object.');
    const name = op.op;
    if (typeof name !== 'string') throw syntaxError(op, "Required 'op' member is missing.");
    switch (name) {
      case 'insert':
        return this.insert(op);
      case 'select':
        return this.select(op);
      case 'update':
        return this.update(op);
      case 'mutate':
        return this.mutate(op);
      case 'delete':
        return this.delete(op);
      case 'wait':
        return this.wait(op);
      case 'commit':
        return this.commit(op);
      case 'abort':
        throw new OvsdbError('aborted', 'Aborted by request.');
      case 'comment':
        return this.comment(op);
      case 'assert':
        return this.assert(op);
      default:
        throw syntaxError(op, `No operation named "${name}".`);
    }
  }

  // ---- the view ----

  table(op: JsonObject): Table {
    const name = member(op, 'table', true);
    if (typeof name !== 'string') throw syntaxError(op, 'table must be a string');
    const t = this.db.tables.get(name);
    if (t === undefined) throw syntaxError(op, `No table named ${name}.`);
    return t;
  }

  tableChanges(name: string): Map<string, RowChange> {
    let m = this.changes.get(name);
    if (m === undefined) {
      m = new Map();
      this.changes.set(name, m);
    }
    return m;
  }

  /** The current (post-change) version of a row, or null. */
  lookup(table: Table, uuid: string): Row | null {
    const ch = this.changes.get(table.schema.name)?.get(uuid);
    if (ch !== undefined) return ch.new;
    return table.rows.get(uuid) ?? null;
  }

  /** The rows that satisfy `clauses`, in the view. */
  matching(table: Table, clauses: readonly Clause[]): Row[] {
    const pinned = uuidOfWhere(clauses);
    if (pinned !== undefined) {
      const row = this.lookup(table, pinned);
      return row !== null && evalWhere(row, clauses) ? [row] : [];
    }
    const out: Row[] = [];
    const ch = this.changes.get(table.schema.name);
    for (const [uuid, row] of table.rows) {
      const cur = ch?.get(uuid);
      const r = cur === undefined ? row : cur.new;
      if (r !== null && evalWhere(r, clauses)) out.push(r);
    }
    if (ch !== undefined) {
      for (const c of ch.values())
        if (c.old === null && c.new !== null && evalWhere(c.new, clauses)) out.push(c.new);
    }
    return out;
  }

  put(table: Table, uuid: string, row: Row | null): void {
    const m = this.tableChanges(table.schema.name);
    const ch = m.get(uuid);
    if (ch !== undefined) {
      ch.new = row;
      if (ch.old === null && row === null) m.delete(uuid);
    } else {
      m.set(uuid, { old: table.rows.get(uuid) ?? null, new: row });
    }
  }

  where(table: Table, op: JsonObject): Clause[] {
    return parseWhere(table.schema, member(op, 'where', true), this.resolve);
  }

  /** Parses a <row> for insert/update: column name → datum, constraints checked. */
  parseRow(table: TableSchema, json: Json, forUpdate: boolean): Map<ColumnSchema, Datum> {
    if (!isJsonObject(json)) throw syntaxError(json, 'row must be a JSON object');
    const out = new Map<ColumnSchema, Datum>();
    for (const [name, value] of Object.entries(json)) {
      const col = table.column(name);
      if (col === undefined) {
        if (name === '_uuid' || name === '_version') {
          throw constraintViolation(`Cannot update immutable column ${name} in table ${table.name}.`);
        }
        throw syntaxError(json, `No column ${name} in table ${table.name}.`);
      }
      if (forUpdate && !col.mutable) {
        throw constraintViolation(`Cannot update immutable column ${name} in table ${table.name}.`);
      }
      const d = datumFromJson(col.type, value, this.resolve);
      checkDatum(col.type, d);
      out.set(col, d);
    }
    return out;
  }

  // ---- operations ----

  insert(op: JsonObject): Json {
    const table = this.table(op);
    const uuidName = op['uuid-name'];
    let uuid: string;
    if (op.uuid !== undefined) {
      const u = op.uuid;
      if (!Array.isArray(u) || u[0] !== 'uuid' || typeof u[1] !== 'string' || !isUuid(u[1])) {
        throw syntaxError(op, 'uuid must be ["uuid", UUID]');
      }
      uuid = u[1].toLowerCase();
    } else {
      uuid = randomUUID();
    }
    if (uuidName !== undefined) {
      if (typeof uuidName !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(uuidName)) {
        throw syntaxError(op, 'uuid-name must be an <id>');
      }
      const sym = this.symbols.get(uuidName);
      if (sym?.created)
        throw new OvsdbError(
          'duplicate uuid-name',
          `This "uuid-name" appeared on an earlier "insert" operation.`,
        );
      if (sym !== undefined) uuid = sym.uuid;
      this.symbols.set(uuidName, { uuid, created: true });
    }
    if (this.lookup(table, uuid) !== null || table.rows.has(uuid)) {
      throw new OvsdbError(
        'duplicate uuid',
        `This UUID would duplicate a UUID already present within the table or deleted within the same transaction.`,
      );
    }
    const values = this.parseRow(table.schema, op.row ?? {}, false);
    const data = table.schema.columns.map((c) => values.get(c) ?? defaultDatum(c.type));
    this.put(table, uuid, { uuid, version: randomUUID(), data });
    return { uuid: ['uuid', uuid] };
  }

  select(op: JsonObject): Json {
    const table = this.table(op);
    const clauses = this.where(table, op);
    const columns = this.columnList(table.schema, op.columns);
    const rows = this.matching(table, clauses).map((r) => rowToJson(table.schema, r, columns));
    return { rows };
  }

  /** Parses an optional "columns" member into column names (all, with _uuid and _version, if absent). */
  columnList(table: TableSchema, json: Json | undefined): string[] {
    if (json === undefined) return ['_uuid', '_version', ...table.columns.map((c) => c.name)];
    if (!Array.isArray(json)) throw syntaxError(json, 'columns must be an array');
    return json.map((name) => {
      if (typeof name !== 'string' || lookupColumn(table, name) === undefined) {
        throw syntaxError(json, `${JSON.stringify(name)} is not a valid column name`);
      }
      return name;
    });
  }

  update(op: JsonObject): Json {
    const table = this.table(op);
    const clauses = this.where(table, op);
    const values = this.parseRow(table.schema, member(op, 'row', true), true);
    const rows = this.matching(table, clauses);
    for (const r of rows) {
      const data = r.data.slice();
      for (const [col, d] of values) data[col.index] = d;
      this.put(table, r.uuid, { uuid: r.uuid, version: r.version, data });
    }
    return { count: rows.length };
  }

  mutate(op: JsonObject): Json {
    const table = this.table(op);
    const clauses = this.where(table, op);
    const mjson = member(op, 'mutations', true);
    if (!Array.isArray(mjson)) throw syntaxError(mjson, 'mutations must be an array');
    const mutations = mjson.map((m) => parseMutation(table.schema, m, this.resolve));
    const rows = this.matching(table, clauses);
    for (const r of rows) {
      const data = r.data.slice();
      for (const m of mutations) data[m.column] = applyMutation(m, data[m.column]);
      this.put(table, r.uuid, { uuid: r.uuid, version: r.version, data });
    }
    return { count: rows.length };
  }

  delete(op: JsonObject): Json {
    const table = this.table(op);
    const rows = this.matching(table, this.where(table, op));
    for (const r of rows) this.put(table, r.uuid, null);
    return { count: rows.length };
  }

  wait(op: JsonObject): Json {
    const table = this.table(op);
    const clauses = this.where(table, op);
    const columns = this.columnList(table.schema, op.columns);
    const until = member(op, 'until', true);
    if (until !== '==' && until !== '!=') throw syntaxError(op, 'until must be "==" or "!="');
    const rowsJson = member(op, 'rows', true);
    if (!Array.isArray(rowsJson)) throw syntaxError(rowsJson, 'rows must be an array');
    const timeout = op.timeout ?? Number.POSITIVE_INFINITY;
    if (typeof timeout !== 'number' || timeout < 0)
      throw syntaxError(op, 'timeout must be a non-negative number');
    const expected = rowsJson.map((rj) => this.projectedKey(table.schema, columns, rj)).sort();
    const actual = this.matching(table, clauses)
      .map((r) => JSON.stringify(rowToJson(table.schema, r, columns)))
      .sort();
    const equal = expected.length === actual.length && expected.every((k, i) => k === actual[i]);
    if (equal === (until === '==')) return {};
    if (this.attempt.elapsedMs < timeout) throw new Blocked(timeout - this.attempt.elapsedMs);
    throw new OvsdbError('timed out', `"wait" timed out`);
  }

  /** A canonical string of a row given in a "wait" operation, projected on `columns`. */
  projectedKey(table: TableSchema, columns: readonly string[], json: Json): string {
    if (!isJsonObject(json)) throw syntaxError(json, 'row must be a JSON object');
    const out: JsonObject = {};
    for (const name of columns) {
      const col = lookupColumn(table, name);
      if (col === undefined) throw syntaxError(json, `No column ${name} in table ${table.name}.`);
      const given = json[name];
      const d =
        given === undefined
          ? col.index >= 0
            ? defaultDatum(col.type)
            : null
          : datumFromJson(col.type, given, this.resolve);
      out[name] = d === null ? null : datumToJson(col.type, d);
    }
    return JSON.stringify(out);
  }

  commit(op: JsonObject): Json {
    const durable = member(op, 'durable', true);
    if (typeof durable !== 'boolean') throw syntaxError(op, 'durable must be a boolean');
    this.durable ||= durable;
    return {};
  }

  comment(op: JsonObject): Json {
    const c = member(op, 'comment', true);
    if (typeof c !== 'string') throw syntaxError(op, 'comment must be a string');
    this.comments.push(c);
    return {};
  }

  assert(op: JsonObject): Json {
    const lock = member(op, 'lock', true);
    if (typeof lock !== 'string') throw syntaxError(op, 'lock must be a string');
    if (!this.session.ownsLock(lock)) throw new OvsdbError('not owner', `Asserted lock ${lock} not held.`);
    return {};
  }

  // ---- commit-time checks ----

  checkSymbols(): void {
    for (const [name, s] of this.symbols) {
      if (!s.created) throw syntaxError(null, `No row with uuid-name "${name}" was inserted.`);
    }
  }

  /** Runs every whole-transaction check and returns the effective changes. */
  precommit(): Changes {
    this.dropNoops();
    this.collectGarbage();
    this.checkReferences();
    this.checkMaxRows();
    this.assessWeakRefs();
    this.checkIndexes();
    this.stampVersions();
    return this.changes;
  }

  dropNoops(): void {
    for (const [tname, rows] of this.changes) {
      for (const [uuid, ch] of rows) {
        if (ch.old !== null && ch.new !== null && sameData(ch.old, ch.new)) rows.delete(uuid);
      }
      if (rows.size === 0) this.changes.delete(tname);
    }
  }

  /** Net change in strong references to each row made by this transaction. */
  refDeltas(): Map<string, number> {
    const deltas = new Map<string, number>();
    const add = (uuid: string, n: number) => deltas.set(uuid, (deltas.get(uuid) ?? 0) + n);
    for (const [tname, rows] of this.changes) {
      const schema = this.db.table(tname).schema;
      if (!schema.hasRefs) continue;
      for (const ch of rows.values()) {
        if (ch.old !== null) forEachStrongRef(schema, ch.old, (u) => add(u, -1));
        if (ch.new !== null) forEachStrongRef(schema, ch.new, (u) => add(u, +1));
      }
    }
    return deltas;
  }

  /** Deletes rows of non-root tables that nothing references any more (repeatedly, as deletes cascade). */
  collectGarbage(): void {
    for (;;) {
      const deltas = this.refDeltas();
      const doomed: [Table, string][] = [];
      const consider = (table: Table, uuid: string) => {
        if (table.schema.isRoot) return;
        if (this.lookup(table, uuid) === null) return;
        if (this.db.refCount(uuid) + (deltas.get(uuid) ?? 0) <= 0) doomed.push([table, uuid]);
      };
      for (const [tname, rows] of this.changes) {
        const table = this.db.table(tname);
        for (const [uuid, ch] of rows) if (ch.new !== null) consider(table, uuid);
      }
      for (const [uuid, d] of deltas) {
        if (d >= 0) continue;
        for (const table of this.db.tables.values()) if (table.rows.has(uuid)) consider(table, uuid);
      }
      if (doomed.length === 0) return;
      for (const [table, uuid] of doomed) this.put(table, uuid, null);
    }
  }

  /** Strong references must point at existing rows; a deleted row must have no strong references left. */
  checkReferences(): void {
    const deltas = this.refDeltas();
    for (const [tname, rows] of this.changes) {
      const table = this.db.table(tname);
      for (const [uuid, ch] of rows) {
        if (ch.new === null) {
          const n = this.db.refCount(uuid) + (deltas.get(uuid) ?? 0);
          if (n > 0) {
            throw new OvsdbError(
              'referential integrity violation',
              `cannot delete ${tname} row ${uuid} because of ${n} remaining reference(s)`,
            );
          }
          continue;
        }
        if (!table.schema.hasRefs) continue;
        for (const c of table.schema.columns) {
          const check = (target: Atom, refTable: string | undefined, weak: boolean) => {
            if (refTable === undefined || weak) return;
            if (this.lookup(this.db.table(refTable), target as string) === null) {
              throw new OvsdbError(
                'referential integrity violation',
                `Table ${tname} column ${c.name} row ${uuid} references nonexistent row ${target} in table ${refTable}.`,
              );
            }
          };
          const d = ch.new.data[c.index];
          const { key, value } = c.type;
          for (const k of d.keys) check(k, key.refTable, key.refType === 'weak');
          if (value !== null && d.values !== null) {
            for (const v of d.values) check(v, value.refTable, value.refType === 'weak');
          }
        }
      }
    }
  }

  checkMaxRows(): void {
    for (const [tname, rows] of this.changes) {
      const table = this.db.table(tname);
      const max = table.schema.maxRows;
      if (max === Number.POSITIVE_INFINITY) continue;
      let n = table.rows.size;
      for (const ch of rows.values()) n += (ch.new !== null ? 1 : 0) - (ch.old !== null ? 1 : 0);
      if (n > max) {
        throw constraintViolation(
          `transaction causes "${tname}" table to contain ${n} rows, greater than the schema-defined limit of ${max} row(s)`,
        );
      }
    }
  }

  /** Removes weak references to rows that do not exist after the transaction. */
  assessWeakRefs(): void {
    const deleted = new Set<string>();
    for (const rows of this.changes.values()) for (const [u, ch] of rows) if (ch.new === null) deleted.add(u);
    for (const table of this.db.tables.values()) {
      const weakCols = table.schema.columns.filter(
        (c) => c.type.key.refType === 'weak' || c.type.value?.refType === 'weak',
      );
      if (weakCols.length === 0) continue;
      const candidates = new Map<string, Row>();
      const ch = this.changes.get(table.schema.name);
      if (ch !== undefined) for (const [u, c] of ch) if (c.new !== null) candidates.set(u, c.new);
      if (deleted.size > 0) {
        for (const [u, r] of table.rows) {
          if (candidates.has(u) || ch?.has(u)) continue;
          if (weakCols.some((c) => refersTo(r.data[c.index], c, deleted))) candidates.set(u, r);
        }
      }
      for (const [u, row] of candidates) this.dropDeadWeakRefs(table, u, row, weakCols);
    }
  }

  dropDeadWeakRefs(table: Table, uuid: string, row: Row, weakCols: readonly ColumnSchema[]): void {
    let data: Datum[] | null = null;
    for (const c of weakCols) {
      const d = row.data[c.index];
      const alive = (a: Atom, refTable: string | undefined) =>
        refTable === undefined || this.lookup(this.db.table(refTable), a as string) !== null;
      const keep: number[] = [];
      for (let i = 0; i < d.size; i++) {
        const kOk = c.type.key.refType !== 'weak' || alive(d.keys[i], c.type.key.refTable);
        const vOk =
          d.values === null || c.type.value?.refType !== 'weak' || alive(d.values[i], c.type.value.refTable);
        if (kOk && vOk) keep.push(i);
      }
      if (keep.length === d.size) continue;
      if (keep.length < c.type.min) {
        throw constraintViolation(
          `Deletion of ${d.size - keep.length} weak reference(s) to deleted (or never-existing) rows from column "${c.name}" in "${table.schema.name}" row ${uuid} caused this column to become empty, but constraints on this column disallow an empty column.`,
        );
      }
      data ??= row.data.slice();
      data[c.index] = new Datum(
        keep.map((i) => d.keys[i]),
        d.values === null ? null : keep.map((i) => (d.values as Atom[])[i]),
      );
    }
    if (data !== null) this.put(table, uuid, { uuid, version: row.version, data });
  }

  checkIndexes(): void {
    for (const [tname, rows] of this.changes) {
      const table = this.db.table(tname);
      table.schema.indexes.forEach((cols, i) => {
        const seen = new Map<string, string>();
        for (const [uuid, ch] of rows) {
          if (ch.new === null) continue;
          const key = indexKey(ch.new, cols);
          const other = seen.get(key);
          if (other !== undefined) throw indexError(table.schema, cols, ch.new, other, uuid, true);
          seen.set(key, uuid);
          const existing = table.indexes[i].get(key);
          if (existing === undefined || existing === uuid) continue;
          const ech = rows.get(existing);
          if (ech !== undefined && (ech.new === null || indexKey(ech.new, cols) !== key)) continue;
          throw indexError(table.schema, cols, ch.new, existing, uuid, false);
        }
      });
    }
  }

  /** Gives every inserted or modified row a fresh _version. */
  stampVersions(): void {
    for (const rows of this.changes.values()) {
      for (const ch of rows.values()) {
        if (ch.new !== null) ch.new = { uuid: ch.new.uuid, version: randomUUID(), data: ch.new.data };
      }
    }
  }
}

function refersTo(d: Datum, c: ColumnSchema, uuids: ReadonlySet<string>): boolean {
  if (c.type.key.refType === 'weak' && d.keys.some((k) => uuids.has(k as string))) return true;
  return (
    c.type.value?.refType === 'weak' && d.values !== null && d.values.some((v) => uuids.has(v as string))
  );
}

function sameData(a: Row, b: Row): boolean {
  for (let i = 0; i < a.data.length; i++) if (!a.data[i].equals(b.data[i])) return false;
  return true;
}

function indexError(
  table: TableSchema,
  cols: readonly number[],
  row: Row,
  first: string,
  second: string,
  bothNew: boolean,
): OvsdbError {
  const values = cols.map((c) => JSON.stringify(datumToJson(table.columns[c].type, row.data[c]))).join(', ');
  const names = cols.map((c) => table.columns[c].name).join(', ');
  const how = bothNew
    ? `First row, with UUID ${first}, was inserted by this transaction.`
    : `First row, with UUID ${first}, existed in the database before this transaction and was not modified by the transaction.`;
  return constraintViolation(
    `Transaction causes multiple rows in "${table.name}" table to have identical values (${values}) for index on ${names}.  ${how}  Second row, with UUID ${second}, was inserted by this transaction.`,
  );
}

/** A row as JSON, with the named columns (including _uuid and _version when listed). */
export function rowToJson(table: TableSchema, row: Row, columns: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const name of columns) {
    if (name === '_uuid') {
      out._uuid = ['uuid', row.uuid];
    } else if (name === '_version') {
      out._version = ['uuid', row.version];
    } else {
      const c = table.column(name) as ColumnSchema;
      out[name] = datumToJson(c.type, row.data[c.index]);
    }
  }
  return out;
}
