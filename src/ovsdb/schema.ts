// OVSDB database schemas (RFC 7047 §3.2): tables, columns, root tables, maxRows and indexes, parsed
// from the schema JSON and written back to it for get_schema. Also the order in which Open vSwitch walks a
// table's columns (its string hash table order), which decides a few of its messages.
import { readFileSync } from 'node:fs';
import { isJsonObject, type Json, type JsonObject } from '../jsonrpc/json.js';
import { syntaxError } from './error.js';
import { shashOrder } from './shash-order.js';
import { type ColumnType, columnTypeToJson, isWeakRef, parseColumnType } from './types.js';

const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One column of a table. `index` is its position in a row's data array. */
export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnType;
  readonly mutable: boolean;
  readonly ephemeral: boolean;
  readonly index: number;
}

/** One table: its columns in declaration order, root flag, row limit and unique indexes. */
export class TableSchema {
  readonly columnsByName = new Map<string, ColumnSchema>();
  /** True when some column refers to another table. */
  readonly hasRefs: boolean;
  /** Column names (with _uuid and _version) in the order Open vSwitch iterates them. */
  readonly ovsColumnOrder: readonly string[];

  constructor(
    readonly name: string,
    readonly columns: readonly ColumnSchema[],
    readonly isRoot: boolean,
    readonly maxRows: number,
    /** Each index is a list of column positions whose values together are unique. */
    readonly indexes: readonly (readonly number[])[],
  ) {
    for (const c of columns) this.columnsByName.set(c.name, c);
    this.hasRefs = columns.some(
      (c) => c.type.key.refTable !== undefined || c.type.value?.refTable !== undefined,
    );
    const declared = shashOrder(columns.map((c) => c.name));
    this.ovsColumnOrder = shashOrder(['_uuid', '_version', ...declared]);
  }

  /** The column named `name`, or undefined. */
  column(name: string): ColumnSchema | undefined {
    return this.columnsByName.get(name);
  }
}

/** A database schema. */
export class DatabaseSchema {
  constructor(
    readonly name: string,
    readonly version: string,
    readonly cksum: string | undefined,
    readonly tables: ReadonlyMap<string, TableSchema>,
  ) {}

  /** The table named `name`, or undefined. */
  table(name: string): TableSchema | undefined {
    return this.tables.get(name);
  }

  /** The schema as JSON (what get_schema returns). */
  toJson(): JsonObject {
    const tables: JsonObject = {};
    for (const t of this.tables.values()) tables[t.name] = tableToJson(t);
    const obj: JsonObject = { name: this.name, version: this.version };
    if (this.cksum !== undefined) obj.cksum = this.cksum;
    obj.tables = tables;
    return obj;
  }
}

function tableToJson(t: TableSchema): JsonObject {
  const columns: JsonObject = {};
  for (const c of t.columns) {
    const col: JsonObject = { type: columnTypeToJson(c.type) };
    if (c.ephemeral) col.ephemeral = true;
    if (!c.mutable) col.mutable = false;
    columns[c.name] = col;
  }
  const obj: JsonObject = { columns };
  if (t.isRoot) obj.isRoot = true;
  if (t.maxRows !== Number.POSITIVE_INFINITY) obj.maxRows = t.maxRows;
  if (t.indexes.length > 0) obj.indexes = t.indexes.map((ix) => ix.map((i) => t.columns[i].name));
  return obj;
}

function parseColumn(name: string, json: Json, index: number): ColumnSchema {
  if (!isJsonObject(json) || json.type === undefined) throw syntaxError(json, `column ${name} has no type`);
  const mutable = json.mutable ?? true;
  const ephemeral = json.ephemeral ?? false;
  if (typeof mutable !== 'boolean' || typeof ephemeral !== 'boolean') {
    throw syntaxError(json, `column ${name}: mutable and ephemeral must be booleans`);
  }
  const type = parseColumnType(json.type);
  // A weak reference must be able to change when its target goes away, so it is always mutable.
  const weak = isWeakRef(type.key) || isWeakRef(type.value);
  return { name, type, mutable: mutable || weak, ephemeral, index };
}

function parseTable(name: string, json: Json, allRoot: boolean): TableSchema {
  if (!isJsonObject(json) || !isJsonObject(json.columns))
    throw syntaxError(json, `table ${name} has no columns`);
  const columns: ColumnSchema[] = [];
  for (const [cname, cjson] of Object.entries(json.columns)) {
    if (!ID_RE.test(cname) || cname.startsWith('_')) throw syntaxError(json, `invalid column name ${cname}`);
    columns.push(parseColumn(cname, cjson, columns.length));
  }
  const maxRows = json.maxRows ?? Number.POSITIVE_INFINITY;
  if (typeof maxRows !== 'number' || maxRows < 1) throw syntaxError(json, `table ${name}: bad maxRows`);
  const isRoot = allRoot || json.isRoot === true;
  const byName = new Map(columns.map((c) => [c.name, c.index]));
  const indexes = ((json.indexes ?? []) as Json[]).map((ix) => {
    if (!Array.isArray(ix) || ix.length === 0) throw syntaxError(ix, `table ${name}: bad index`);
    return ix.map((c) => {
      const i = typeof c === 'string' ? byName.get(c) : undefined;
      if (i === undefined) throw syntaxError(ix, `table ${name} index names unknown column ${String(c)}`);
      return i;
    });
  });
  return new TableSchema(name, columns, isRoot, maxRows, indexes);
}

/** Parses a schema from its JSON; checks that every refTable names a table of the schema. */
export function parseSchema(json: Json): DatabaseSchema {
  if (!isJsonObject(json) || typeof json.name !== 'string' || !isJsonObject(json.tables)) {
    throw syntaxError(json, 'database schema must have a name and tables');
  }
  const version = typeof json.version === 'string' ? json.version : '0.0.0';
  const cksum = typeof json.cksum === 'string' ? json.cksum : undefined;
  const entries = Object.entries(json.tables);
  const allRoot = !entries.some(([, t]) => isJsonObject(t) && t.isRoot !== undefined);
  const tables = new Map<string, TableSchema>();
  for (const [tname, tjson] of entries) tables.set(tname, parseTable(tname, tjson, allRoot));
  for (const t of tables.values()) {
    for (const c of t.columns) {
      for (const b of [c.type.key, c.type.value]) {
        if (b?.refTable !== undefined && !tables.has(b.refTable)) {
          throw syntaxError(json, `column ${t.name}.${c.name} refers to unknown table ${b.refTable}`);
        }
      }
    }
  }
  return new DatabaseSchema(json.name, version, cksum, tables);
}

/** Reads and parses a schema file. */
export function readSchemaFile(path: string): DatabaseSchema {
  return parseSchema(JSON.parse(readFileSync(path, 'utf8')) as Json);
}
