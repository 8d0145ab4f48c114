// Monitors (RFC 7047 §4.1.5 and Open vSwitch's monitor_cond / monitor_cond_since extensions): which
// tables, columns and rows a client watches, the initial contents, and the update for each committed
// transaction — as <table-updates> (version 1) or <table-updates2> (versions 2 and 3).
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import { type Clause, evalWhere, parseWhere } from './condition.js';
import type { CommittedTxn, Database, Row } from './database.js';
import { datumDiff, datumToJson, defaultDatum } from './datum.js';
import { OvsdbError, syntaxError } from './error.js';
import type { ColumnSchema, TableSchema } from './schema.js';

/** 1: "monitor" (update), 2: "monitor_cond" (update2), 3: "monitor_cond_since" (update3). */
export type MonitorVersion = 1 | 2 | 3;

interface Select {
  initial: boolean;
  insert: boolean;
  delete: boolean;
  modify: boolean;
}

/** What one monitor watches in one table. */
interface TableMonitor {
  readonly schema: TableSchema;
  readonly columns: readonly ColumnSchema[];
  readonly select: Select;
  /** null: every row (no condition, or monitor version 1). */
  where: Clause[] | null;
}

function parseSelect(json: Json | undefined, into: Select | null): Select {
  const sel = into ?? { initial: false, insert: false, delete: false, modify: false };
  if (json === undefined) {
    sel.initial = sel.insert = sel.delete = sel.modify = true;
    return sel;
  }
  if (!isJsonObject(json)) throw syntaxError(json, 'select must be an object');
  for (const k of ['initial', 'insert', 'delete', 'modify'] as const) {
    const v = json[k];
    if (v !== undefined && typeof v !== 'boolean') throw syntaxError(json, `${k} must be a boolean`);
    sel[k] ||= v ?? true;
  }
  return sel;
}

/** Parses a condition for monitor_cond: a where clause that may also hold the literals true/false. */
function parseCondition(schema: TableSchema, json: Json | undefined): Clause[] | null {
  if (json === undefined) return null;
  const clauses = parseWhere(schema, json, undefined, true);
  return clauses.length === 0 ? [] : clauses;
}

function condMatches(where: Clause[] | null, row: Row): boolean {
  if (where === null) return true;
  if (where.length === 0) return false;
  return evalWhere(row, where);
}

/** One client monitor over one database. */
export class Monitor {
  readonly tables = new Map<string, TableMonitor>();

  constructor(
    readonly db: Database,
    readonly id: Json,
    readonly version: MonitorVersion,
    requests: Json,
  ) {
    if (!isJsonObject(requests)) throw syntaxError(requests, 'monitor-requests must be an object');
    for (const [tname, req] of Object.entries(requests)) {
      const schema = db.schema.table(tname);
      if (schema === undefined) throw syntaxError(requests, `no table named ${tname}`);
      const list = Array.isArray(req) ? req : [req];
      const cols = new Set<ColumnSchema>();
      let select: Select | null = null;
      let where: Clause[] | null = null;
      for (const r of list) {
        if (!isJsonObject(r)) throw syntaxError(r, 'monitor-request must be an object');
        for (const c of this.parseColumns(schema, r.columns)) {
          if (cols.has(c) && list.length > 1) {
            throw syntaxError(r, `column ${c.name} mentioned more than once`);
          }
          cols.add(c);
        }
        select = parseSelect(r.select, select);
        if (version > 1 && r.where !== undefined) where = parseCondition(schema, r.where);
      }
      const columns = schema.columns.filter((c) => cols.has(c));
      this.tables.set(tname, { schema, columns, select: select ?? parseSelect(undefined, null), where });
    }
  }

  private parseColumns(schema: TableSchema, json: Json | undefined): ColumnSchema[] {
    if (json === undefined) return [...schema.columns];
    if (!Array.isArray(json)) throw syntaxError(json, 'columns must be an array');
    return json.map((n) => {
      const c = typeof n === 'string' ? schema.column(n) : undefined;
      if (c === undefined) throw syntaxError(json, `${JSON.stringify(n)} is not a valid column name`);
      return c;
    });
  }

  /** Replaces the conditions (monitor_cond_change). */
  changeConditions(requests: Json): void {
    if (!isJsonObject(requests))
      throw syntaxError(requests, 'monitor-cond-change-requests must be an object');
    for (const [tname, req] of Object.entries(requests)) {
      const tm = this.tables.get(tname);
      if (tm === undefined) throw new OvsdbError('syntax error', `no table named ${tname} in monitor`);
      const list = Array.isArray(req) ? req : [req];
      for (const r of list) if (isJsonObject(r)) tm.where = parseCondition(tm.schema, r.where);
    }
  }

  /** The rows a client sees first (the reply to the monitor request). */
  initial(): JsonObject {
    const out: JsonObject = {};
    for (const [tname, tm] of this.tables) {
      if (!tm.select.initial) continue;
      const rows: JsonObject = {};
      for (const row of this.db.table(tname).rows.values()) {
        if (!condMatches(tm.where, row)) continue;
        rows[row.uuid] =
          this.version === 1 ? { new: this.rowJson(tm, row) } : { initial: this.rowJson(tm, row) };
      }
      if (Object.keys(rows).length > 0) out[tname] = rows;
    }
    return out;
  }

  /** The rows that changed in `txn` as this monitor reports them, or null when none. */
  update(txn: CommittedTxn): JsonObject | null {
    let out: JsonObject | null = null;
    for (const [tname, rows] of txn.changes) {
      const tm = this.tables.get(tname);
      if (tm === undefined) continue;
      let tout: JsonObject | null = null;
      for (const [uuid, ch] of rows) {
        const u = this.rowUpdate(tm, ch.old, ch.new);
        if (u === null) continue;
        tout ??= {};
        tout[uuid] = u;
      }
      if (tout !== null) {
        out ??= {};
        out[tname] = tout;
      }
    }
    return out;
  }

  private rowUpdate(tm: TableMonitor, old: Row | null, neu: Row | null): Json | null {
    const wasIn = old !== null && condMatches(tm.where, old);
    const isIn = neu !== null && condMatches(tm.where, neu);
    if (!wasIn && !isIn) return null;
    if (!wasIn) {
      if (!tm.select.insert) return null;
      const row = this.rowJson(tm, neu as Row);
      return this.version === 1 ? { new: row } : { insert: row };
    }
    if (!isIn) {
      if (!tm.select.delete) return null;
      return this.version === 1 ? { old: this.rowJson(tm, old as Row, true) } : { delete: null };
    }
    if (!tm.select.modify) return null;
    return this.modifyJson(tm, old as Row, neu as Row);
  }

  private modifyJson(tm: TableMonitor, old: Row, neu: Row): Json | null {
    const changed: JsonObject = {};
    let any = false;
    for (const c of tm.columns) {
      const a = old.data[c.index];
      const b = neu.data[c.index];
      if (a.equals(b)) continue;
      any = true;
      changed[c.name] =
        this.version === 1 ? datumToJson(c.type, a) : datumToJson(c.type, datumDiff(c.type, a, b));
    }
    if (!any) return null;
    if (this.version > 1) return { modify: changed };
    return { old: changed, new: this.rowJson(tm, neu, true) };
  }

  /** A row's monitored columns as JSON; version 2+ leaves out columns holding their default value. */
  private rowJson(tm: TableMonitor, row: Row, all = this.version === 1): JsonObject {
    const out: JsonObject = {};
    for (const c of tm.columns) {
      const d = row.data[c.index];
      if (!all && d.equals(defaultDatum(c.type))) continue;
      out[c.name] = datumToJson(c.type, d);
    }
    return out;
  }
}
