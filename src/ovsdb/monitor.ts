// Monitors (RFC 7047 §4.1.5 and Open vSwitch's monitor_cond / monitor_cond_since extensions): which
// tables, columns and rows a client watches, the initial contents, the update for each committed
// transaction — <table-updates> (version 1) or <table-updates2> (versions 2 and 3) — and the update that a
// monitor_cond_change sends for rows entering or leaving the condition. Request errors carry
// ovsdb-server's own texts.
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import { type Clause, evalClause, parseClause, UUID_TYPE } from './condition.js';
import type { CommittedTxn, Database, Row } from './database.js';
import { type Datum, datumDiff, datumToJson, defaultDatum, scalarDatum } from './datum.js';
import { type OvsdbError, syntaxError } from './error.js';
import type { TableSchema } from './schema.js';
import type { ColumnType } from './types.js';

/** 1: "monitor" (update), 2: "monitor_cond" (update2), 3: "monitor_cond_since" (update3). */
export type MonitorVersion = 1 | 2 | 3;

/** The kinds of change a monitor request selects, as bits. */
const INITIAL = 1;
const INSERT = 2;
const DELETE = 4;
const MODIFY = 8;
const ALL_CHANGES = INITIAL | INSERT | DELETE | MODIFY;

/** A column a monitor reports: a schema column or _version/_uuid, and the changes it is reported for. */
interface MonitoredColumn {
  readonly name: string;
  readonly type: ColumnType;
  readonly value: (row: Row) => Datum;
  readonly select: number;
}

/** What one monitor watches in one table. */
interface TableMonitor {
  readonly schema: TableSchema;
  readonly columns: MonitoredColumn[];
  /** Union of the selects of the table's requests. */
  select: number;
  /** null: no condition (monitor version 1); [] : every row; otherwise rows matching any clause. */
  where: Clause[] | null;
}

/** Copies JSON with object members in sorted order, as Open vSwitch prints the "syntax" of errors. */
export function sortedJson(json: Json): Json {
  if (Array.isArray(json)) return json.map(sortedJson);
  if (!isJsonObject(json)) return json;
  const out: JsonObject = {};
  for (const k of Object.keys(json).sort()) out[k] = sortedJson(json[k]);
  return out;
}

/** A syntax error whose "syntax" is `json` with sorted keys (none when `json` is undefined). */
export function ovsSyntaxError(json: Json | undefined, details: string): OvsdbError {
  return syntaxError(json === undefined ? undefined : sortedJson(json), details);
}

type MemberKind = 'array' | 'object' | 'boolean';

function hasKind(value: Json, kind: MemberKind): boolean {
  if (kind === 'array') return Array.isArray(value);
  if (kind === 'object') return isJsonObject(value);
  return typeof value === 'boolean';
}

/** Reads the members of a JSON object the way ovsdb-server's parser does, with its error texts. */
class MemberParser {
  private readonly object: JsonObject | null;
  private readonly used = new Set<string>();
  private error: OvsdbError | null = null;

  constructor(
    json: Json,
    private readonly context: string,
  ) {
    this.object = isJsonObject(json) ? json : null;
    if (this.object === null) this.raise('Object expected.');
  }

  /** An optional member of the given kind, or undefined when absent (or after an error). */
  member(name: string, kind: MemberKind): Json | undefined {
    const value = this.object?.[name];
    if (value === undefined) return undefined;
    if (!hasKind(value, kind)) {
      this.raise(`Type mismatch for member '${name}'.`);
      return undefined;
    }
    this.used.add(name);
    return value;
  }

  /** Throws the first error, or one about members that were not read. */
  finish(): void {
    if (this.error === null && this.object !== null) {
      const unused = Object.keys(this.object).filter((k) => !this.used.has(k));
      if (unused.length === 1) this.raise(`Member '${unused[0]}' is present but not allowed here.`);
      else if (unused.length > 1) {
        const others = unused.length - 1;
        this.raise(
          `Member '${unused[0]}' and ${others} other member${others > 1 ? 's' : ''} are present but not allowed here.`,
        );
      }
    }
    if (this.error !== null) throw this.error;
  }

  private raise(message: string): void {
    this.error ??= ovsSyntaxError(this.object ?? undefined, `Parsing ${this.context} failed: ${message}`);
  }
}

function parseSelect(json: Json, table: string): number {
  const p = new MemberParser(json, `table ${table} select`);
  let select = 0;
  const bits: [string, number][] = [
    ['initial', INITIAL],
    ['insert', INSERT],
    ['delete', DELETE],
    ['modify', MODIFY],
  ];
  for (const [name, bit] of bits) if ((p.member(name, 'boolean') ?? true) === true) select |= bit;
  p.finish();
  return select;
}

/** Parses a monitor condition: clauses (or the literals true/false) of which any one must hold. */
function parseCondition(schema: TableSchema, json: Json): Clause[] {
  return (json as Json[]).map((c) => parseClause(schema, c, undefined, true));
}

function matches(where: Clause[] | null, row: Row): boolean {
  if (where === null || where.length === 0) return true;
  return where.some((c) => evalClause(row, c));
}

/** The pseudo-columns a monitor may name besides the schema's own. */
function pseudoColumn(name: string, select: number): MonitoredColumn | undefined {
  if (name === '_uuid') return { name, type: UUID_TYPE, value: (r) => scalarDatum(r.uuid), select };
  if (name === '_version') return { name, type: UUID_TYPE, value: (r) => scalarDatum(r.version), select };
  return undefined;
}

function schemaColumn(schema: TableSchema, name: string, select: number): MonitoredColumn | undefined {
  const c = schema.column(name);
  if (c === undefined) return pseudoColumn(name, select);
  return { name, type: c.type, value: (r) => r.data[c.index], select };
}

/** A validated monitor_cond_change: the new condition of each table it names. */
export interface ConditionChange {
  readonly conditions: Map<TableMonitor, Clause[]>;
}

/** One client monitor over one database. */
export class Monitor {
  readonly tables = new Map<string, TableMonitor>();

  /** Parses the monitor requests; throws ovsdb-server's errors for bad ones. */
  constructor(
    readonly db: Database,
    public id: Json,
    readonly version: MonitorVersion,
    requests: Json,
  ) {
    if (!isJsonObject(requests)) throw ovsSyntaxError(requests, 'monitor-requests must be object');
    for (const [tname, req] of Object.entries(requests)) {
      const schema = db.schema.table(tname);
      if (schema === undefined) throw ovsSyntaxError(undefined, `no table named ${tname}`);
      const tm: TableMonitor = { schema, columns: [], select: 0, where: version === 1 ? null : [] };
      this.tables.set(tname, tm);
      for (const r of Array.isArray(req) ? req : [req]) this.parseRequest(tm, r);
    }
  }

  private parseRequest(tm: TableMonitor, json: Json): void {
    const p = new MemberParser(json, `table ${tm.schema.name}`);
    const where = this.version > 1 ? p.member('where', 'array') : undefined;
    const columns = p.member('columns', 'array');
    const selectJson = p.member('select', 'object');
    p.finish();
    const select = selectJson === undefined ? ALL_CHANGES : parseSelect(selectJson, tm.schema.name);
    tm.select |= select;
    if (columns === undefined) {
      const all = [...tm.schema.columns.map((c) => c.name), '_version'];
      for (const name of all) this.addColumn(tm, schemaColumn(tm.schema, name, select), undefined);
    } else {
      for (const name of columns as Json[]) {
        if (typeof name !== 'string') throw ovsSyntaxError(columns, 'array of column names expected');
        const c = schemaColumn(tm.schema, name, select);
        if (c === undefined) throw ovsSyntaxError(columns, `${name} is not a valid column name`);
        this.addColumn(tm, c, columns);
      }
    }
    if (where !== undefined) tm.where = parseCondition(tm.schema, where);
  }

  private addColumn(tm: TableMonitor, c: MonitoredColumn | undefined, columns: Json | undefined): void {
    if (c === undefined) return;
    if (tm.columns.some((m) => m.name === c.name)) {
      throw ovsSyntaxError(columns, `column ${c.name} mentioned more than once`);
    }
    tm.columns.push(c);
  }

  /** Checks a monitor_cond_change's <monitor-cond-change-requests> without applying it. */
  parseConditionChange(requests: Json): ConditionChange {
    if (!isJsonObject(requests))
      throw ovsSyntaxError(undefined, 'monitor-cond-change-requests must be object');
    const conditions = new Map<TableMonitor, Clause[]>();
    for (const [tname, req] of Object.entries(requests)) {
      const schema = this.db.schema.table(tname);
      if (schema === undefined) throw ovsSyntaxError(undefined, `no table named ${tname}`);
      const tm = this.tables.get(tname);
      if (tm === undefined) throw ovsSyntaxError(undefined, `no table named ${tname} in monitor session`);
      if (!Array.isArray(req))
        throw ovsSyntaxError(undefined, `table ${tname} no monitor-cond-change JSON array`);
      for (const r of req) {
        const p = new MemberParser(r, `table ${tname}`);
        const columns = p.member('columns', 'array');
        const where = p.member('where', 'array');
        p.finish();
        if (columns !== undefined) throw ovsSyntaxError(r, 'changing columns is unsupported');
        if (tm.where !== null) conditions.set(tm, parseCondition(schema, where ?? []));
      }
    }
    return { conditions };
  }

  /**
   * Applies a checked condition change; returns the <table-updates2> that brings the client to the new
   * condition (insert for rows that now match, delete for rows that no longer do), or null if none.
   */
  applyConditionChange(change: ConditionChange): JsonObject | null {
    let out: JsonObject | null = null;
    for (const [tm, where] of change.conditions) {
      const old = tm.where;
      tm.where = where;
      for (const row of this.db.table(tm.schema.name).rows.values()) {
        const u = this.rowUpdate(tm, row, row, false, old);
        if (u !== null) out = addRow(out, tm.schema.name, row.uuid, u);
      }
    }
    return out;
  }

  /** The rows a client sees first (the reply to the monitor request), or {} when none. */
  initial(): JsonObject {
    let out: JsonObject | null = null;
    for (const [tname, tm] of this.tables) {
      if ((tm.select & INITIAL) === 0) continue;
      for (const row of this.db.table(tname).rows.values()) {
        const u = this.rowUpdate(tm, null, row, true);
        if (u !== null) out = addRow(out, tname, row.uuid, u);
      }
    }
    return out ?? {};
  }

  /** The rows that changed in `txn` as this monitor reports them, or null when none. */
  update(txn: CommittedTxn): JsonObject | null {
    let out: JsonObject | null = null;
    for (const [tname, rows] of txn.changes) {
      const tm = this.tables.get(tname);
      if (tm === undefined) continue;
      for (const [uuid, ch] of rows) {
        const u = this.rowUpdate(tm, ch.old, ch.new, false);
        if (u !== null) out = addRow(out, tname, uuid, u);
      }
    }
    return out;
  }

  /** The kind of change a client sees for a row going from `old` to `neu`, or 0 when it sees none. */
  private changeType(
    tm: TableMonitor,
    old: Row | null,
    neu: Row | null,
    initial: boolean,
    oldWhere: Clause[] | null,
  ): number {
    const wasIn = old !== null && matches(oldWhere, old);
    const isIn = neu !== null && matches(tm.where, neu);
    if (initial) return isIn ? INITIAL : 0;
    if (!wasIn) return isIn ? INSERT : 0;
    return isIn ? MODIFY : DELETE;
  }

  private rowUpdate(
    tm: TableMonitor,
    old: Row | null,
    neu: Row | null,
    initial: boolean,
    oldWhere: Clause[] | null = tm.where,
  ): Json | null {
    const type = this.changeType(tm, old, neu, initial, oldWhere);
    if ((tm.select & type) === 0) return null;
    let changed: Set<MonitoredColumn> | null = null;
    if (type === MODIFY) {
      changed = new Set(tm.columns.filter((c) => !c.value(old as Row).equals(c.value(neu as Row))));
      if (changed.size === 0) return null;
    }
    return this.version === 1 ? updateV1(tm, type, old, neu, changed) : updateV2(tm, type, old, neu, changed);
  }
}

/** A <row-update> of monitor version 1: "new" has every column, "old" the changed (or, on delete, all). */
function updateV1(
  tm: TableMonitor,
  type: number,
  old: Row | null,
  neu: Row | null,
  changed: Set<MonitoredColumn> | null,
): JsonObject {
  const oldJson: JsonObject = {};
  const newJson: JsonObject = {};
  for (const c of tm.columns) {
    if ((type & c.select) === 0) continue;
    if (type === DELETE || changed?.has(c)) oldJson[c.name] = datumToJson(c.type, c.value(old as Row));
    if (type !== DELETE) newJson[c.name] = datumToJson(c.type, c.value(neu as Row));
  }
  const out: JsonObject = {};
  if (type === DELETE || type === MODIFY) out.old = oldJson;
  if (type !== DELETE) out.new = newJson;
  return out;
}

/** A <row-update2>: initial/insert without default values, modify as diffs, delete as null. */
function updateV2(
  tm: TableMonitor,
  type: number,
  old: Row | null,
  neu: Row | null,
  changed: Set<MonitoredColumn> | null,
): JsonObject {
  if (type === DELETE) return { delete: null };
  const row: JsonObject = {};
  for (const c of tm.columns) {
    if ((type & c.select) === 0) continue;
    const value = c.value(neu as Row);
    if (changed !== null) {
      if (changed.has(c)) row[c.name] = datumToJson(c.type, columnDiff(c.type, c.value(old as Row), value));
    } else if (!value.equals(defaultDatum(c.type))) {
      row[c.name] = datumToJson(c.type, value);
    }
  }
  const op = type === INITIAL ? 'initial' : type === MODIFY ? 'modify' : 'insert';
  return { [op]: row };
}

/** The update2 "modify" value of a column: the new value when it holds at most one element, else a diff. */
function columnDiff(type: ColumnType, a: Datum, b: Datum): Datum {
  return type.max <= 1 ? b : datumDiff(type, a, b);
}

function addRow(out: JsonObject | null, table: string, uuid: string, update: Json): JsonObject {
  const all = out ?? {};
  const rows = (all[table] as JsonObject | undefined) ?? {};
  rows[uuid] = update;
  all[table] = rows;
  return all;
}
