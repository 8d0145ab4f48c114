// Mutations (RFC 7047 §5.1 <mutation>): arithmetic on integer/real columns (and sets of them), and
// insert/delete on sets and maps. The result is checked against the column's constraints.
import type { Json } from '../jsonrpc/json.js';
import { typeName } from './condition.js';
import { checkDatum, Datum, datumFromJson, makeDatum, type NamedUuidResolver } from './datum.js';
import { constraintViolation, OvsdbError, syntaxError } from './error.js';
import type { TableSchema } from './schema.js';
import type { Atom, ColumnType } from './types.js';

/** A mutator. */
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';

const ARITH: readonly string[] = ['+=', '-=', '*=', '/=', '%='];

/** One parsed mutation. */
export interface Mutation {
  readonly column: number;
  readonly name: string;
  readonly type: ColumnType;
  readonly mutator: Mutator;
  readonly arg: Datum;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Parses one mutation [column, mutator, value]. */
export function parseMutation(table: TableSchema, json: Json, resolve?: NamedUuidResolver): Mutation {
  if (
    !Array.isArray(json) ||
    json.length !== 3 ||
    typeof json[0] !== 'string' ||
    typeof json[1] !== 'string'
  ) {
    throw syntaxError(json, 'Parse error in mutation.');
  }
  const [name, mutName, value] = json;
  const col = table.column(name);
  if (col === undefined) {
    if (name === '_uuid' || name === '_version') {
      throw constraintViolation(`Cannot mutate immutable column ${name} in table ${table.name}.`);
    }
    throw syntaxError(json, `No column ${name} in table ${table.name}.`);
  }
  if (!col.mutable)
    throw constraintViolation(`Cannot mutate immutable column ${name} in table ${table.name}.`);
  const t = col.type;
  if (ARITH.includes(mutName)) {
    const kt = t.key.type;
    if ((kt !== 'integer' && kt !== 'real') || t.value !== null) {
      throw syntaxError(
        json,
        `Type mismatch: "${mutName}" operator may not be applied to column ${name} of type ${typeName(t)}.`,
      );
    }
    const scalarType: ColumnType = { key: { type: kt }, value: null, min: 1, max: 1 };
    const arg = datumFromJson(scalarType, value);
    if (kt === 'integer' && (mutName === '/=' || mutName === '%=') && arg.keys[0] === 0) {
      throw new OvsdbError('domain error', 'Division by zero.');
    }
    if (kt === 'real' && mutName === '%=') {
      throw syntaxError(
        json,
        `Type mismatch: "%=" operator may not be applied to column ${name} of type real.`,
      );
    }
    return { column: col.index, name, type: t, mutator: mutName as Mutator, arg };
  }
  if (mutName === 'insert' || mutName === 'delete') {
    if (t.max === 1 && t.min === 1) {
      throw syntaxError(
        json,
        `Type mismatch: "${mutName}" operator may not be applied to column ${name} of type ${typeName(t)}.`,
      );
    }
    const loose: ColumnType = { ...t, min: 0, max: Number.POSITIVE_INFINITY };
    let arg: Datum;
    if (mutName === 'delete' && t.value !== null && Array.isArray(value) && value[0] === 'set') {
      arg = datumFromJson({ key: t.key, value: null, min: 0, max: Number.POSITIVE_INFINITY }, value, resolve);
    } else {
      arg = datumFromJson(loose, value, resolve);
    }
    return { column: col.index, name, type: t, mutator: mutName, arg };
  }
  throw syntaxError(json, `Unknown mutator "${mutName}".`);
}

function arith(kt: 'integer' | 'real', mutator: Mutator, a: number, b: number): number {
  if (kt === 'real') {
    switch (mutator) {
      case '+=':
        return a + b;
      case '-=':
        return a - b;
      case '*=':
        return a * b;
      default:
        return a / b;
    }
  }
  const x = BigInt(a);
  const y = BigInt(b);
  let r: bigint;
  switch (mutator) {
    case '+=':
      r = x + y;
      break;
    case '-=':
      r = x - y;
      break;
    case '*=':
      r = x * y;
      break;
    case '/=':
      r = x / y;
      break;
    default:
      r = x % y;
  }
  if (r < INT64_MIN || r > INT64_MAX) {
    throw new OvsdbError('range error', `Result of "${mutator}" operation is out of range.`);
  }
  return Number(r);
}

/** Applies a mutation to a column value, returning the new value (constraints checked). */
export function applyMutation(m: Mutation, old: Datum): Datum {
  const t = m.type;
  let result: Datum;
  if (m.mutator === 'insert') {
    const keys: Atom[] = [...old.keys];
    const values = old.values === null ? null : [...old.values];
    for (let i = 0; i < m.arg.size; i++) {
      if (old.has(m.arg.keys[i])) continue;
      keys.push(m.arg.keys[i]);
      values?.push((m.arg.values as Atom[])[i]);
    }
    result = makeDatum(keys, values);
  } else if (m.mutator === 'delete') {
    const keys: Atom[] = [];
    const values: Atom[] | null = old.values === null ? null : [];
    for (let i = 0; i < old.size; i++) {
      const j = m.arg.indexOf(old.keys[i]);
      const matched =
        j >= 0 && (m.arg.values === null || old.values === null || m.arg.values[j] === old.values[i]);
      if (matched) continue;
      keys.push(old.keys[i]);
      values?.push((old.values as Atom[])[i]);
    }
    result = new Datum(keys, values);
  } else {
    const kt = t.key.type as 'integer' | 'real';
    const b = m.arg.keys[0] as number;
    const keys = old.keys.map((a) => arith(kt, m.mutator, a as number, b));
    result = makeDatum(keys, null);
    if (result.size !== old.size) {
      throw constraintViolation(`Result of "${m.mutator}" operation contains duplicate values.`);
    }
  }
  if (result.size < t.min || result.size > t.max) {
    const max = t.max === Number.POSITIVE_INFINITY ? 'unlimited' : String(t.max);
    throw constraintViolation(
      `Attempted to store ${result.size} elements in ${typeName(t)} column ${m.name}, but ${t.min} to ${max} are allowed.`,
    );
  }
  checkDatum(t, result);
  return result;
}
