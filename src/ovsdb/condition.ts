// Where-clauses (RFC 7047 §5.1 <condition>) for select/update/mutate/delete/wait, and the conditions of
// monitor_cond (which also allow the literals true and false).
import type { Json } from '../jsonrpc/json.js';
import type { Row } from './database.js';
import { type Datum, datumFromJson, type NamedUuidResolver } from './datum.js';
import { syntaxError } from './error.js';
import type { TableSchema } from './schema.js';
import { type ColumnType, compareAtoms, isScalar } from './types.js';

/** A condition function. */
export type ConditionFn = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';

const FUNCTIONS: readonly string[] = ['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes'];

/** The pseudo-column positions of _uuid and _version. */
export const UUID_COLUMN = -1;
export const VERSION_COLUMN = -2;

/** The type of _uuid and _version. */
export const UUID_TYPE: ColumnType = { key: { type: 'uuid' }, value: null, min: 1, max: 1 };

/** One parsed clause; `column` is a column position or UUID_COLUMN/VERSION_COLUMN; `always` for literals. */
export interface Clause {
  readonly column: number;
  readonly fn: ConditionFn;
  readonly arg: Datum;
  readonly always?: boolean;
}

/** Resolves a column name (including _uuid and _version) to its position and type. */
export function lookupColumn(
  table: TableSchema,
  name: string,
): { index: number; type: ColumnType } | undefined {
  if (name === '_uuid') return { index: UUID_COLUMN, type: UUID_TYPE };
  if (name === '_version') return { index: VERSION_COLUMN, type: UUID_TYPE };
  const c = table.column(name);
  return c === undefined ? undefined : { index: c.index, type: c.type };
}

/** The value of a column of a row, including the pseudo-columns. */
export function columnValue(row: Row, index: number): Datum | string {
  if (index === UUID_COLUMN) return row.uuid;
  if (index === VERSION_COLUMN) return row.version;
  return row.data[index];
}

function isOrdered(t: ColumnType): boolean {
  return isScalar(t) && (t.key.type === 'integer' || t.key.type === 'real');
}

/** Parses one clause [column, function, value] (or true/false when `allowLiterals`). */
export function parseClause(
  table: TableSchema,
  json: Json,
  resolve?: NamedUuidResolver,
  allowLiterals = false,
): Clause {
  if (allowLiterals && typeof json === 'boolean') {
    return { column: UUID_COLUMN, fn: '==', arg: null as unknown as Datum, always: json };
  }
  if (
    !Array.isArray(json) ||
    json.length !== 3 ||
    typeof json[0] !== 'string' ||
    typeof json[1] !== 'string'
  ) {
    throw syntaxError(json, 'Parse error in condition.');
  }
  const [name, fnName, value] = json;
  const col = lookupColumn(table, name);
  if (col === undefined) {
    throw syntaxError(json, `No column ${name} in table ${table.name}.`);
  }
  if (!FUNCTIONS.includes(fnName)) throw syntaxError(json, `Unknown function "${fnName}".`);
  const fn = fnName as ConditionFn;
  if ((fn === '<' || fn === '<=' || fn === '>=' || fn === '>') && !isOrdered(col.type)) {
    throw syntaxError(
      json,
      `Type mismatch: "${fn}" operator may not be applied to column ${name} of type ${typeName(col.type)}.`,
    );
  }
  const argType: ColumnType = fn === 'includes' || fn === 'excludes' ? { ...col.type, min: 0 } : col.type;
  return { column: col.index, fn, arg: datumFromJson(argType, value, resolve) };
}

/** Parses a where clause array. */
export function parseWhere(
  table: TableSchema,
  json: Json,
  resolve?: NamedUuidResolver,
  allowLiterals = false,
): Clause[] {
  if (!Array.isArray(json)) throw syntaxError(json, 'where must be an array of conditions');
  return json.map((c) => parseClause(table, c, resolve, allowLiterals));
}

/** A short type name for error messages ("string", "set of strings", "map of string to integer"). */
export function typeName(t: ColumnType): string {
  if (isScalar(t)) return t.key.type;
  if (t.value !== null) return `map of ${t.key.type} to ${t.value.type}`;
  return `set of ${t.key.type}s`;
}

function includes(col: Datum, arg: Datum): boolean {
  for (let i = 0; i < arg.size; i++) {
    if (!col.has(arg.keys[i], arg.values === null ? undefined : arg.values[i])) return false;
  }
  return true;
}

function excludes(col: Datum, arg: Datum): boolean {
  for (let i = 0; i < arg.size; i++) {
    if (col.has(arg.keys[i], arg.values === null ? undefined : arg.values[i])) return false;
  }
  return true;
}

/** Evaluates one clause on a row. */
export function evalClause(row: Row, c: Clause): boolean {
  if (c.always !== undefined) return c.always;
  const v = columnValue(row, c.column);
  if (typeof v === 'string') {
    const eq = c.arg.size === 1 && c.arg.keys[0] === v;
    return c.fn === '==' || c.fn === 'includes' ? eq : !eq;
  }
  switch (c.fn) {
    case '==':
      return v.equals(c.arg);
    case '!=':
      return !v.equals(c.arg);
    case 'includes':
      return includes(v, c.arg);
    case 'excludes':
      return excludes(v, c.arg);
    default: {
      if (c.arg.size !== 1) return false;
      const cmp = compareAtoms(v.keys[0], c.arg.keys[0]);
      if (c.fn === '<') return cmp < 0;
      if (c.fn === '<=') return cmp <= 0;
      if (c.fn === '>') return cmp > 0;
      return cmp >= 0;
    }
  }
}

/** True when a row satisfies every clause. */
export function evalWhere(row: Row, clauses: readonly Clause[]): boolean {
  for (const c of clauses) if (!evalClause(row, c)) return false;
  return true;
}

/** If the clauses pin `_uuid ==` to one UUID, returns it (so the row can be looked up directly). */
export function uuidOfWhere(clauses: readonly Clause[]): string | undefined {
  for (const c of clauses) {
    if (c.column === UUID_COLUMN && c.always === undefined && c.fn === '==' && c.arg.size === 1) {
      return c.arg.keys[0] as string;
    }
  }
  return undefined;
}
