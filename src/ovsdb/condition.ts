// Where-clauses (RFC 7047 §5.1 <condition>) for select/update/mutate/delete/wait and for monitor_cond:
// [column, function, value] triples or the literals true and false, parsed and evaluated with
// Open vSwitch's rules and error messages.
import type { Json } from '../jsonrpc/json.js';
import type { Row } from './database.js';
import { type Datum, datumFromJson, type NamedUuidResolver, scalarDatum } from './datum.js';
import { syntaxError, taggedSyntaxError } from './error.js';
import type { TableSchema } from './schema.js';
import { type ColumnType, compareAtoms, isOptionalScalar, isScalar, typeToEnglish } from './types.js';

/** A condition function. */
export type ConditionFn = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';

const FUNCTIONS: readonly string[] = ['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes'];

/** The pseudo-column position of _uuid. */
export const UUID_COLUMN = -1;
/** The pseudo-column position of _version. */
export const VERSION_COLUMN = -2;

/** The type of _uuid and _version. */
export const UUID_TYPE: ColumnType = { key: { type: 'uuid' }, value: null, min: 1, max: 1 };

/** One parsed clause; `column` is a column position or UUID_COLUMN/VERSION_COLUMN; `always` for literals. */
export interface Clause {
  readonly column: number;
  readonly fn: ConditionFn;
  readonly arg: Datum;
  /** The column's type (the argument may have been parsed with a relaxed one). */
  readonly type: ColumnType;
  readonly always?: boolean;
}

/** Resolves a column name (including _uuid and _version) to its position and type. */
export function lookupColumn(
  table: TableSchema,
  name: string,
): { index: number; type: ColumnType; mutable: boolean } | undefined {
  if (name === '_uuid') return { index: UUID_COLUMN, type: UUID_TYPE, mutable: false };
  if (name === '_version') return { index: VERSION_COLUMN, type: UUID_TYPE, mutable: false };
  const c = table.column(name);
  return c === undefined ? undefined : { index: c.index, type: c.type, mutable: c.mutable };
}

/** The value of a column of a row, including the pseudo-columns (as one-element datums). */
export function columnDatum(row: Row, index: number): Datum {
  if (index === UUID_COLUMN) return scalarDatum(row.uuid);
  if (index === VERSION_COLUMN) return scalarDatum(row.version);
  return row.data[index];
}

const ALWAYS_ARG = scalarDatum('');

/**
 * Parses one clause [column, function, value], or the literal true or false. `allowLiterals` is kept for
 * callers that pass it; Open vSwitch accepts the literals in every condition.
 */
export function parseClause(
  table: TableSchema,
  json: Json,
  resolve?: NamedUuidResolver,
  _allowLiterals = true,
): Clause {
  if (typeof json === 'boolean') {
    return { column: UUID_COLUMN, fn: '==', arg: ALWAYS_ARG, type: UUID_TYPE, always: json };
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
    throw taggedSyntaxError(json, 'unknown column', `No column ${name} in table ${table.name}.`);
  }
  if (!FUNCTIONS.includes(fnName)) {
    throw taggedSyntaxError(undefined, 'unknown function', `No function named ${fnName}.`);
  }
  const fn = fnName as ConditionFn;
  const argType = argumentType(fn, col.type, () => {
    const what = `"${fn}" operator may not be applied to column ${name} of type ${typeToEnglish(col.type)}.`;
    return syntaxError(json, `Type mismatch: ${what}`);
  });
  return { column: col.index, fn, arg: datumFromJson(argType, value, resolve), type: col.type };
}

function isOrdering(fn: ConditionFn): boolean {
  return fn === '<' || fn === '<=' || fn === '>' || fn === '>=';
}

/** The type a function's argument is parsed with (checking that the function applies to the column). */
function argumentType(fn: ConditionFn, t: ColumnType, mismatch: () => Error): ColumnType {
  if (isOrdering(fn)) {
    const numeric = t.key.type === 'integer' || t.key.type === 'real';
    if (!(isScalar(t) || isOptionalScalar(t)) || !numeric) throw mismatch();
    return { ...t, min: 1 };
  }
  if (fn === 'excludes' && !isScalar(t)) return { ...t, min: 0, max: Number.POSITIVE_INFINITY };
  if (fn === 'includes' && !isScalar(t)) return { ...t, min: 0 };
  return t;
}

/** Parses a where clause array. */
export function parseWhere(
  table: TableSchema,
  json: Json,
  resolve?: NamedUuidResolver,
  allowLiterals = true,
): Clause[] {
  if (!Array.isArray(json)) throw syntaxError(json, 'where must be an array of conditions');
  return json.map((c) => parseClause(table, c, resolve, allowLiterals));
}

/** A short type name for error messages (OVS's wording, e.g. "set of up to 4 integers"). */
export function typeName(t: ColumnType): string {
  return typeToEnglish(t);
}

/** True when every element of `sub` (key, and value for maps) is in `d`. */
export function includesAll(d: Datum, sub: Datum): boolean {
  if (sub.size > d.size) return false;
  for (let i = 0; i < sub.size; i++) {
    if (!d.has(sub.keys[i], sub.values === null ? undefined : sub.values[i])) return false;
  }
  return true;
}

/** True when no element of `sub` (key, and value for maps) is in `d`. */
export function excludesAll(d: Datum, sub: Datum): boolean {
  for (let i = 0; i < sub.size; i++) {
    if (d.has(sub.keys[i], sub.values === null ? undefined : sub.values[i])) return false;
  }
  return true;
}

/** Evaluates one clause on a row. */
export function evalClause(row: Row, c: Clause): boolean {
  if (c.always !== undefined) return c.always;
  const field = columnDatum(row, c.column);
  const singleAtoms = isScalar(c.type) || isOptionalScalar(c.type);
  if (singleAtoms && field.size === 0 && isOrdering(c.fn)) return false;
  if (singleAtoms && field.size === 1 && c.arg.size === 1)
    return compareOne(c.fn, compareAtoms(field.keys[0], c.arg.keys[0]));
  switch (c.fn) {
    case '==':
      return field.equals(c.arg);
    case '!=':
      return !field.equals(c.arg);
    case 'includes':
      return includesAll(field, c.arg);
    case 'excludes':
      return excludesAll(field, c.arg);
    default:
      return false;
  }
}

function compareOne(fn: ConditionFn, cmp: number): boolean {
  switch (fn) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '==':
    case 'includes':
      return cmp === 0;
    case '!=':
    case 'excludes':
      return cmp !== 0;
    case '>=':
      return cmp >= 0;
    case '>':
      return cmp > 0;
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
